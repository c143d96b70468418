"""Step Functions RedriveExecution, which moto's interpreter (5.2.5) does not have.

Adds `StepFunctionsParserBackend.redrive_execution` and
`moto.stepfunctions.responses.StepFunctionResponse.redrive_execution` (neither exists in
moto 5.2.5: the action answered "not yet implemented"). Operators redrive a FAILED,
TIMED_OUT or ABORTED execution after fixing the cause (`prakerja ops redrive`); without
this, the runbook's fix could not be tried locally.

What AWS does, and so what this does for a top-level state machine (ours has no Map or
Parallel): the execution keeps its ARN, its name and its history; an `ExecutionRedriven`
event is appended; the state that did not finish (the last state entered and never
exited) runs again with the input it was given the first time; the states before it are
not run again. `redriveCount` goes up by one (`redrive_status.py` shows it). Only STANDARD
executions that ended unsuccessfully can be redriven (`ExecutionNotRedrivable` otherwise),
as in AWS. An aborted execution is continued once its old interpreter thread has ended
(`stop_execution.wait_ended`), so that thread cannot write into the continued history.

Not emulated: the 14-day redrive window and the 1,000-redrive limit (the local clock is
the programme's simulated one, and nothing here redrives in a loop)."""

from __future__ import annotations

import datetime
import json
import threading

from ..base import FIDELITY, MotoHookMissing, Patcher, require
from . import stop_execution

KIND = FIDELITY
REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")
ABORTED_THREAD_WAIT_SECONDS = 30


def install(patch: Patcher) -> None:
    from moto.core.exceptions import AWSError
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser import api
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.parser.utils import TMP_THREADS
    from moto.stepfunctions.responses import StepFunctionResponse

    require(
        callable(getattr(ExecutionWorker, "_get_evaluation_environment", None))
        and callable(getattr(ExecutionWorker, "_get_evaluation_entrypoint", None))
        and hasattr(api.HistoryEventType, "ExecutionRedriven"),
        "moto's Step Functions interpreter (ExecutionWorker)",
    )
    if hasattr(StepFunctionsParserBackend, "redrive_execution"):
        raise MotoHookMissing("moto now implements RedriveExecution: drop fidelity/redrive_execution.py")

    class ExecutionNotRedrivable(AWSError):
        TYPE = "ExecutionNotRedrivable"

    def redrive_execution(self, execution_arn: str, client_token: str | None = None) -> datetime.datetime:
        execution = self.describe_execution(execution_arn)
        status = execution.exec_status.value if execution.exec_status else None
        if status not in REDRIVABLE or execution.sm_type != api.StateMachineType.STANDARD:
            raise ExecutionNotRedrivable(
                f"Execution is {status}: only a STANDARD execution that ended {', '.join(REDRIVABLE)} can be redriven"
            )
        if not stop_execution.wait_ended(execution, ABORTED_THREAD_WAIT_SECONDS):
            raise ExecutionNotRedrivable("Execution is still stopping: its running task has not ended")
        stop_execution.reopen(execution)
        worker = execution.exec_worker
        old_env = worker.env
        state_name, state_input = _unfinished_state(old_env.event_manager.get_event_history())
        if state_name is None:
            raise ExecutionNotRedrivable("Execution has no unfinished state to redrive from")

        env = worker._get_evaluation_environment()
        env.event_manager = old_env.event_manager  # one history, continued
        env.variable_store = old_env.variable_store
        env.states.reset(input_value=state_input)
        redrive_count = getattr(execution, "redrive_count", 0) + 1
        env.event_history_context = EventHistoryContext(previous_event_id=0)
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=api.HistoryEventType.ExecutionRedriven,
            event_details=EventDetails(
                executionRedrivenEventDetails=api.ExecutionRedrivenEventDetails(redriveCount=redrive_count)
            ),
        )
        redrive_date = datetime.datetime.now(tz=datetime.UTC)
        execution.redrive_count = redrive_count
        execution.redrive_date = redrive_date
        execution.exec_status = api.ExecutionStatus.RUNNING
        execution.stop_date = execution.error = execution.cause = execution.output = None
        worker.env = env
        program = worker._get_evaluation_entrypoint()

        def run() -> None:
            # Program.eval always starts at StartAt: the states' own evaluation is what it
            # runs, so it is run here from the unfinished state (timeouts: none in our ASL).
            env.next_state_name = state_name
            EvalComponent.eval(program, env)
            worker._execution_communication.terminated()

        thread = threading.Thread(target=run, daemon=True, name=f"redrive-{execution.name}")
        TMP_THREADS.append(thread)
        thread.start()
        return redrive_date

    def redrive_execution_action(self) -> ActionResult:
        redrive_date = self.stepfunction_backend.redrive_execution(
            self._get_param("executionArn"), self._get_param("clientToken")
        )
        return ActionResult({"redriveDate": redrive_date})

    patch.replace(StepFunctionsParserBackend, "redrive_execution", redrive_execution)
    patch.replace(StepFunctionResponse, "redrive_execution", redrive_execution_action)


def _unfinished_state(events: list[dict]) -> tuple[str | None, object]:
    """The last state entered and not exited, and the input it was entered with."""
    open_states: dict[str, object] = {}
    last: str | None = None
    for event in events:
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        if entered is not None:
            open_states[entered["name"]] = json.loads(entered.get("input") or "{}")
            last = entered["name"]
        elif exited is not None:
            open_states.pop(exited["name"], None)
            if last == exited["name"]:
                last = None
    if last is None or last not in open_states:
        return None, None
    return last, open_states[last]
