"""Step Functions calls: start a lifecycle, resume or fail a waiting task."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .. import settings
from ..domain import errors
from . import clients

STALE_TOKEN_ERRORS = frozenset({"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"})
# StartExecution's answers that mean "not now": throttled, or the account's open
# executions are at their quota (1,000,000 per account and Region, docs/capacity.md).
START_LATER_ERRORS = frozenset({"ThrottlingException", "ExecutionLimitExceeded", "ServiceUnavailable"})
# SendTask*'s answers that mean "not now" once botocore's own retries (clients.py) are spent:
# the SendTaskSuccess refill rate (300/s) is shared by every payout child and the API.
THROTTLED_ERRORS = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"})


class StaleToken(Exception):
    """The task this token belonged to is no longer waiting."""


class Throttled(Exception):
    """Step Functions refused the call for now (its rate, after retries with backoff)."""


def client() -> Any:
    return clients.client("stepfunctions")


def start_lifecycle(participant_id: str, payload: dict[str, Any]) -> str:
    """The execution name is the participant id: starting twice is harmless."""
    try:
        out = client().start_execution(
            stateMachineArn=settings.state_machine_arn(), name=participant_id, input=json.dumps(payload)
        )
        return str(out["executionArn"])
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ExecutionAlreadyExists":
            arn = settings.state_machine_arn().replace(":stateMachine:", ":execution:")
            return f"{arn}:{participant_id}"
        if code in START_LATER_ERRORS:
            raise errors.LifecycleNotStarted(
                f"the certificate is recorded but the lifecycle could not start now ({code}); "
                "send the same request again (the same Idempotency-Key) to complete it, "
                "or leave it: the next deadline sweep starts it"
            ) from None
        raise


def _call(method: Callable[..., Any], **kwargs: Any) -> None:
    try:
        method(**kwargs)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in STALE_TOKEN_ERRORS:
            raise StaleToken(error.response["Error"].get("Message", "")) from None
        if code in THROTTLED_ERRORS:
            raise Throttled(f"{code}: {error.response['Error'].get('Message', '')}") from None
        raise


def send_success(token: str, output: dict[str, Any]) -> None:
    _call(client().send_task_success, taskToken=token, output=json.dumps(output))


def send_failure(token: str, error: str, cause: str) -> None:
    _call(client().send_task_failure, taskToken=token, error=error, cause=cause[:32768])
