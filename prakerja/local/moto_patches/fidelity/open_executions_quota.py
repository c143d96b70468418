"""StartExecution refuses a new execution when the account holds its quota of open ones, as
AWS does.

Replaces `moto.stepfunctions.parser.models.StepFunctionsParserBackend.start_execution`, which
(moto 5.2.5) starts any number of executions. AWS keeps at most 1,000,000 STANDARD executions
open per account and Region (a soft quota) and answers a start beyond it with
`ExecutionLimitExceeded` (HTTP 400): the limit that shapes the lifecycle design
(docs/decisions/0013, docs/capacity.md), so the local stack enforces it too, with
config.STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA by default and a lower one set by LocalCloud
(`open_executions_quota=`, e.g. a simulation scaled down with its quotas). A start that
names an execution that already exists is left to moto's own code (the same input returns
that execution; another raises ExecutionAlreadyExists): it opens nothing new."""

from __future__ import annotations

from prakerja_flow import config

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY

# The quota now in force (LocalCloud sets and restores it): open executions per account and Region.
quota = [config.STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA]


def set_quota(value: int | None) -> None:
    quota[0] = config.STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA if value is None else int(value)


def open_executions(backend) -> int:
    return sum(
        1
        for machine in list(backend.state_machines)
        for execution in list(machine.executions)
        if str(getattr(execution.status, "value", execution.status)) == "RUNNING"
    )


def install(patch: Patcher) -> None:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = getattr(StepFunctionsParserBackend, "start_execution", None)
    require(callable(original), "moto's StepFunctionsParserBackend.start_execution")

    class ExecutionLimitExceeded(AWSError):
        TYPE = "ExecutionLimitExceeded"
        STATUS = 400

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        machine = self.describe_state_machine(state_machine_arn)
        named = name is not None and any(e.name == name for e in list(machine.executions))
        if not named and open_executions(self) >= quota[0]:
            raise ExecutionLimitExceeded(
                f"The maximum number of running executions has been reached ({quota[0]:,} in this account)"
            )
        return original(self, state_machine_arn, name, execution_input, trace_header)

    patch.replace(StepFunctionsParserBackend, "start_execution", start_execution)
