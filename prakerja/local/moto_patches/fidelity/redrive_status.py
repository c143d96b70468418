"""DescribeExecution says whether and how often the execution was redriven, as AWS does.

Replaces `moto.stepfunctions.responses.StepFunctionResponse.describe_execution`, which
(moto 5.2.5) answers without `redriveCount`, `redriveStatus`, `redriveStatusReason` and
`redriveDate` (clients see them as null). AWS gives every STANDARD execution a
`redriveCount` (0 until redriven) and a `redriveStatus`: REDRIVABLE when RedriveExecution
would accept it (FAILED, ABORTED, TIMED_OUT), NOT_REDRIVABLE otherwise, with the reason
("Execution is RUNNING and cannot be redriven."); `redriveDate` once redriven. The count
and date are the ones `redrive_execution.py` keeps on the execution. moto's own answer is
kept and these fields are added to it."""

from __future__ import annotations

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY
REDRIVABLE = ("FAILED", "ABORTED", "TIMED_OUT")


def redrive_fields(execution) -> dict:
    status = _text(execution.status)
    fields: dict = {"redriveCount": int(getattr(execution, "redrive_count", 0))}
    standard = _text(getattr(execution, "sm_type", None) or "STANDARD") == "STANDARD"
    if standard and status in REDRIVABLE:
        fields["redriveStatus"] = "REDRIVABLE"
    else:
        fields["redriveStatus"] = "NOT_REDRIVABLE"
        fields["redriveStatusReason"] = (
            f"Execution is {status} and cannot be redriven."
            if standard
            else "Execution is EXPRESS and cannot be redriven."
        )
    redrive_date = getattr(execution, "redrive_date", None)
    if redrive_date is not None:
        fields["redriveDate"] = redrive_date
    return fields


def _text(value) -> str:
    return str(getattr(value, "value", value))  # moto's enums or plain strings


def install(patch: Patcher) -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    original = getattr(StepFunctionResponse, "describe_execution", None)
    require(
        callable(original) and callable(getattr(ActionResult, "result", None).fget),
        "moto's StepFunctionResponse.describe_execution / ActionResult",
    )

    def describe_execution(self) -> ActionResult:
        answer = original(self)
        response = answer.result
        require(isinstance(response, dict), "moto's StepFunctionResponse.describe_execution answer")
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        response.update(redrive_fields(execution))
        return answer

    patch.replace(StepFunctionResponse, "describe_execution", describe_execution)
