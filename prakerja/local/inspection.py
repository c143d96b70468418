"""What LocalCloud offers to look at and wait for: executions and their histories, the
table, "settled" (the interpreter has caught up), and the drain that ends every execution
before the world goes. Reads moto's Step Functions backend in-process where the API would
only add serialising (each place says why)."""

from __future__ import annotations

import logging
import time
from typing import Any

from prakerja_flow import catalogue
from prakerja_flow.data import dynamo, workflow

from . import invoker
from .moto_patches.fidelity import stop_execution

log = logging.getLogger(__name__)


class Inspection:
    """Mixed into LocalCloud, whose start() sets what these read: `sfn` and `ddb` (boto3
    clients), `state_machine_arn`, `table_name` and `_activity`."""

    sfn: Any
    ddb: Any
    state_machine_arn: str
    table_name: str
    _activity: tuple[int, float]

    def executions(self, status: str | None = None) -> list[dict]:
        kwargs: dict[str, Any] = {"stateMachineArn": self.state_machine_arn}
        if status:
            kwargs["statusFilter"] = status
        pages = self.sfn.get_paginator("list_executions").paginate(**kwargs)
        return [execution for page in pages for execution in page["executions"]]

    def execution_arn(self, participant_id: str) -> str:
        return catalogue.execution_arn(self.state_machine_arn, participant_id)

    def history(self, participant_id: str) -> list[dict]:
        """Every event of the participant's execution, oldest first (all pages)."""
        pages = self.sfn.get_paginator("get_execution_history").paginate(
            executionArn=self.execution_arn(participant_id), PaginationConfig={"PageSize": 1000}
        )
        return [event for page in pages for event in page["events"]]

    def histories(self) -> dict[str, list[dict]]:
        """Every execution's events by name (the participant id), read in-process from moto's
        Step Functions backend: the same events GetExecutionHistory answers (moto builds that
        answer from this very list), without serialising and parsing them once more. The
        end-of-run summary reads 1,000 histories; through the API that was about a fifth of
        a 1,000-participant simulation (docs/performance.md)."""
        found: dict[str, list[dict]] = {}
        for execution in _moto_executions(self.state_machine_arn):
            worker = execution.exec_worker
            found[execution.name] = (
                worker.env.event_manager.get_event_history()
                if worker is not None and worker.env is not None
                else self.history(execution.name)
            )
        return found

    def current_state(self, participant_id: str) -> str | None:
        return _last_entered(self.history(participant_id))

    def settle(self, quiet: float = 0.01, timeout: float = 10.0) -> None:
        """Waits until no Lambda task has run and no execution has recorded a history event
        for `quiet` seconds, and no started execution is still before its first event: the
        executions have caught up and are waiting for events (or finished). Lambda tasks
        alone are not enough: an execution's thread parses the definition and builds its
        environment before its first state, which took over 0.2 s without the speed patches
        on a loaded machine, and its first task then wrote during the next request."""

        def settled() -> bool:
            events, starting = self._interpreter_activity()
            now = time.monotonic()
            if starting or events != self._activity[0]:
                self._activity = (events, now)
                return False
            return now - self._activity[1] >= quiet and invoker.idle_for() >= quiet

        self.wait_until(settled, timeout, "executions to settle")

    def _interpreter_activity(self) -> tuple[int, bool]:
        """History events recorded so far by every execution (the count only grows), and
        whether a running execution has not recorded its first one yet. Read in-process
        from moto's Step Functions backend, without an API call."""
        events, starting = 0, False
        for execution in _moto_executions():
            env = execution.exec_worker.env if execution.exec_worker is not None else None
            recorded = (
                0
                if env is None
                else len(
                    getattr(env.event_manager, "_history_event_list", None) or env.event_manager.get_event_history()
                )
            )
            events += recorded
            starting = starting or (recorded == 0 and execution.exec_status == "RUNNING")
        return events, starting

    def wait_until(self, predicate, timeout: float = 10.0, what: str = "condition", pause: float = 0.005) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(pause)
        raise TimeoutError(f"timed out after {timeout}s waiting for {what}")

    def wait_for_state(self, participant_id: str, state: str, timeout: float = 10.0) -> None:
        self.wait_until(
            lambda: self.current_state(participant_id) == state, timeout, f"{participant_id} to reach {state}"
        )

    def wait_for_end(self, participant_id: str, state: str, timeout: float = 10.0) -> None:
        """Until the participant's execution SUCCEEDED in this end state."""

        def ended() -> bool:
            events = self.history(participant_id)
            return bool(events) and events[-1]["type"] == "ExecutionSucceeded" and _last_entered(events) == state

        self.wait_until(ended, timeout, f"{participant_id} to end in {state}")

    def wait_for_token(self, participant_id: str, stage: str, timeout: float = 10.0) -> None:
        from prakerja_flow.data import inbox

        self.wait_until(
            lambda: inbox.get_token(participant_id, stage) is not None, timeout, f"token {stage} of {participant_id}"
        )

    def scan(self) -> list[dict]:
        items: list[dict] = []
        kwargs: dict[str, Any] = {"TableName": self.table_name}
        while True:
            out = self.ddb.scan(**kwargs)
            items.extend(dynamo.from_ddb(i) for i in out["Items"])
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def drain(self, timeout: float = 20.0) -> None:
        """Ends every running execution: their threads would outlive the mock and write
        into the next world's tables. StopExecution aborts them at once (a Lambda task one
        was running finishes: that is waited for too); a task token still waited on (a moto
        whose stop does not end such a task) is failed. Bounded by `timeout` seconds of wall
        clock, not by a number of rounds: on a loaded machine a round (a listing, a stop per
        execution, a scan) can take seconds, and an execution that cannot be stopped must not
        keep a Ctrl-C'd `simulate --serve` or `local up` from exiting."""
        deadline = time.monotonic() + timeout
        while True:
            running = self.executions("RUNNING")
            if not running:
                stop_execution.wait_all_ended(max(0.0, min(10.0, deadline - time.monotonic())))
                return
            if time.monotonic() >= deadline:
                log.warning("drain gave up on %d running executions after %.0f s", len(running), timeout)
                return
            for execution in running:
                try:
                    self.sfn.stop_execution(executionArn=execution["executionArn"], error="Drained")
                except Exception:  # noqa: BLE001 - it may have finished meanwhile
                    pass
            if self.executions("RUNNING"):
                for item in self.scan():
                    if item.get("type") == "TOKEN":
                        try:
                            workflow.send_failure(item["token"], "Drained", "local runtime shutting down")
                        except workflow.StaleToken:
                            pass
            time.sleep(0.02)


def _ended(execution: Any) -> bool:
    """Whether moto's execution object has ended, its output in place (moto sets the status
    a moment before the output)."""
    status = getattr(execution.exec_status, "value", None)
    return status not in (None, "RUNNING") and (status != "SUCCEEDED" or execution.output is not None)


def _moto_executions(state_machine_arn: str | None = None) -> list[Any]:
    """The executions moto's Step Functions backend holds (of one state machine, or all),
    read in-process, without an API call; copied lists: other threads add to them."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from .cloud import ACCOUNT, REGION  # at call time: cloud.py imports this module

    machines = list(stepfunctions_parser_backends[ACCOUNT][REGION].state_machines)
    return [
        execution
        for machine in machines
        if state_machine_arn in (None, machine.arn)
        for execution in list(machine.executions)
    ]


def _last_entered(events: list[dict]) -> str | None:
    """The state an execution's history last entered."""
    entered = [e for e in events if e["type"].endswith("StateEntered")]
    return entered[-1]["stateEnteredEventDetails"]["name"] if entered else None
