"""StopExecution aborts the execution, as in AWS.

Replaces `moto.stepfunctions.responses.StepFunctionResponse.stop_execution` and, for the
interpreter's backend, `StepFunctionsParserBackend.stop_execution` (inherited from
`moto.stepfunctions.models.StepFunctionBackend`). moto 5.2.5 drops the request's `error`
and `cause` (`Execution.stop(error="", cause="")`) and only flags the interpreter's
`Environment` as stopped (`Environment.set_stop`): a Task waiting for its task token
(`CallbackEndpoint.wait` under `ExecuteState._evaluate_with_timeout`) goes on waiting, so
the execution stays RUNNING, its history never gets ExecutionAborted and its token is still
accepted. AWS ends the execution at once: ABORTED with a stopDate, an ExecutionAborted event
(previousEventId 0; its details hold the error and cause given, and are empty without
them), DescribeExecution shows that error and cause, and the token of the task it waited
on is refused ("the task associated with the token has already been closed").

Here, under one lock: the execution's history is closed (the interpreter thread records
nothing more: what it has left to record belongs to an execution the caller was told has
ended), moto's `set_stop` runs (loops, Wait states and frames stop), the ExecutionAborted
event is written, the execution becomes ABORTED with that stopDate, error and cause (the
thread's own end, `ExecutionWorkerCommunication.terminated`, changes nothing any more),
and every pending task token is closed (SendTaskSuccess, SendTaskFailure and
SendTaskHeartbeat answer TaskTimedOut, as AWS does; moto's own path for this,
`CallbackEndpoint.report`, answers HTTP 500 in 5.2.5: its TaskTimedOut takes no message)
with its waiter woken, so the thread ends. A Lambda function already running
finishes, as in AWS; no state runs after it. `redrive_execution.py` reopens the history,
once that thread has ended, before it continues an aborted execution. Stopping an execution
that already ended (or is ending by itself) changes nothing and answers its stopDate, as
moto does."""

from __future__ import annotations

import datetime
import inspect
import threading
import time

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY
_lock = threading.Lock()
_ENDED = "_prakerja_abort_ended"  # attribute of a moto Execution: set when its thread has ended
_unfinished: set[threading.Event] = set()
_closed_tokens: set[str] = set()  # task tokens of aborted executions (uuids: never reused)
CLOSED_MESSAGE = "Task Timed Out: 'Provided task does not exist anymore'"


class _Ended:
    """The worker's ExecutionWorkerCommunication once its execution is aborted: the
    interpreter thread's end only says that it happened."""

    def __init__(self, ended: threading.Event):
        self._ended = ended

    def terminated(self) -> None:
        self._ended.set()
        _unfinished.discard(self._ended)


def wait_ended(execution, timeout: float) -> bool:
    """True once the interpreter thread of an aborted execution has ended (at once for
    any other execution)."""
    ended = getattr(execution, _ENDED, None)
    return ended is None or ended.wait(timeout)


def wait_all_ended(timeout: float) -> bool:
    """Waits for the threads of every aborted execution (a world is torn down only when
    none of them can still write into it). One that does not end in time is given up on
    (False), so later calls do not wait for it again."""
    deadline = time.monotonic() + timeout
    ended = True
    for event in list(_unfinished):
        if not event.wait(max(0.0, deadline - time.monotonic())):
            _unfinished.discard(event)
            ended = False
    return ended


def reopen(execution) -> None:
    """Undoes the closing of an aborted execution's history, for a redrive to continue it
    (the caller has waited for its thread: `wait_ended`)."""
    worker = execution.exec_worker
    if getattr(execution, _ENDED, None) is not None:
        vars(worker.env.event_manager).pop("add_event", None)
        worker._execution_communication = execution._get_start_execution_worker_comm()
        delattr(execution, _ENDED)


def _discard(*_args, **_kwargs) -> int:
    return 0


def _started_env(worker):
    """The worker thread makes its Environment (and the ExecutionStarted event) just after
    StartExecution answered; a stop right then waits for it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        env = worker.env
        if env is not None and env.event_manager.get_event_history():
            return env
        time.sleep(0.005)
    raise RuntimeError("the execution did not start within 10 s")


def install(patch: Patcher) -> None:
    from moto.core.exceptions import AWSError
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser import api
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, CallbackPoolManager
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    require(
        all(
            callable(getattr(c, n, None))
            for c, n in (
                (StepFunctionResponse, "stop_execution"),
                (StepFunctionsParserBackend, "stop_execution"),
                (Environment, "set_stop"),
                (Environment, "is_running"),
                (EventManager, "add_event"),
                (EventManager, "get_event_history"),
                (CallbackEndpoint, "interrupt_all"),
                (CallbackEndpoint, "get_outcome"),
                (StepFunctionsParserBackend, "send_task_success"),
                (StepFunctionsParserBackend, "send_task_failure"),
                (StepFunctionsParserBackend, "send_task_heartbeat"),
                (Execution, "_get_start_execution_worker_comm"),
            )
        )
        and hasattr(api.HistoryEventType, "ExecutionAborted")
        and "_pool" in vars(CallbackPoolManager(activity_store={}))
        and "self._execution_communication.terminated()" in inspect.getsource(ExecutionWorker._execution_logic),
        "moto's Step Functions execution stop (Environment.set_stop, CallbackEndpoint, ExecutionWorker)",
    )
    original_action = StepFunctionResponse.stop_execution

    class TaskTimedOut(AWSError):
        TYPE = "TaskTimedOut"

    def abort(execution, error: str | None, cause: str | None) -> None:
        if execution.exec_status != api.ExecutionStatus.RUNNING:
            return
        env = _started_env(execution.exec_worker)  # waited for outside the lock: other stops go on
        with _lock:
            if execution.exec_status != api.ExecutionStatus.RUNNING:
                return
            worker = execution.exec_worker
            if worker.env is not env:  # redriven meanwhile: a new worker (rare; its env is being made now)
                env = _started_env(worker)
            with env._state_mutex:
                if not env.is_running():  # it is ending by itself right now: let it
                    return
                _abort(execution, worker, env, error, cause)
            for endpoint in list(env.callback_pool_manager._pool.values()):
                if endpoint.get_outcome() is None:
                    _closed_tokens.add(endpoint.callback_id)  # TaskTimedOut from now on
                endpoint.interrupt_all()

    def _abort(execution, worker, env, error: str | None, cause: str | None) -> None:
        stop_date = datetime.datetime.now(tz=datetime.UTC)
        manager = env.event_manager
        record = manager.add_event
        manager.add_event = _discard  # closed: the thread records nothing more
        env.set_stop(stop_date=stop_date, cause=cause, error=error)
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        record(
            context=EventHistoryContext(previous_event_id=0),
            event_type=api.HistoryEventType.ExecutionAborted,
            event_details=EventDetails(executionAbortedEventDetails=api.ExecutionAbortedEventDetails(**details)),
            timestamp=stop_date,
            update_source_event_id=False,
        )
        ended = threading.Event()
        setattr(execution, _ENDED, ended)
        _unfinished.add(ended)
        worker._execution_communication = _Ended(ended)
        execution.exec_status = api.ExecutionStatus.ABORTED
        execution.stop_date, execution.error, execution.cause = stop_date, error, cause

    def stop_execution(self, execution_arn: str, error: str | None = None, cause: str | None = None):
        execution = self.describe_execution(execution_arn)  # InvalidArn, ExecutionDoesNotExist as before
        abort(execution, error, cause)
        return execution

    def stop_execution_action(self):
        backend = self.stepfunction_backend
        if not isinstance(backend, StepFunctionsParserBackend):
            return original_action(self)  # moto's interpreter-less mock: not what the local runtime runs
        execution = backend.stop_execution(
            self._get_param("executionArn"), self._get_param("error"), self._get_param("cause")
        )
        # An execution that was ending by itself has no stopDate for a moment: it ends now.
        return ActionResult({"stopDate": execution.stop_date or datetime.datetime.now(tz=datetime.UTC)})

    def refusing_closed_tokens(name: str):
        original = getattr(StepFunctionsParserBackend, name)

        def send(self, task_token, *args, **kwargs):
            if task_token in _closed_tokens:
                raise TaskTimedOut(CLOSED_MESSAGE)
            return original(self, task_token, *args, **kwargs)

        return send

    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
        patch.replace(StepFunctionsParserBackend, name, refusing_closed_tokens(name))
    patch.replace(StepFunctionsParserBackend, "stop_execution", stop_execution)
    patch.replace(StepFunctionResponse, "stop_execution", stop_execution_action)
