"""Runs Lambda functions in-process by replacing moto's docker-free Lambda backend's
`invoke`. Invocations are serialised, as in a real Lambda execution environment
(one request at a time per process), which also keeps Powertools' shared state safe
while many executions run on interpreter threads."""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from prakerja_flow import catalogue

from . import virtual_time
from .moto_patches.base import MotoHookMissing

_lock = threading.RLock()
_handlers: dict[str, Any] = {}
_installed = False
invocation_counts: dict[str, int] = {}
_activity = {"in_flight": 0, "last_end": 0.0}
_activity_lock = threading.Lock()


def exclusive():
    """Holds the invocation lock: moto calls made outside an invocation (the local runtime's
    own reads) do not interleave with one."""
    return _lock


def wait_outside(seconds: float) -> None:
    """What an invocation does while it waits on the network (the payment provider's round
    trip): sleeps with the invocation lock let go, so other invocations run meanwhile, as
    other Lambda execution environments would. Every moto call stays under the lock."""
    vt = virtual_time.active()
    if vt is not None:  # accounted in virtual time, never slept
        vt.spend(seconds)
        return
    held = 0
    while True:
        try:
            _lock.release()
        except RuntimeError:  # not (or no longer) held by this thread
            break
        held += 1
    try:
        time.sleep(seconds)
    finally:
        for _ in range(held):
            _lock.acquire()


def idle_for() -> float:
    """Seconds since the last invocation ended; 0 while one is running."""
    if _activity["in_flight"]:
        return 0.0
    return time.monotonic() - _activity["last_end"]


def _moto_lambda_backend_class():
    try:
        from moto.awslambda_simple.models import LambdaSimpleBackend
    except ImportError as error:  # pragma: no cover - depends on the installed moto
        raise MotoHookMissing(
            f"moto lacks moto.awslambda_simple ({error}); install the pinned moto: pip install -e '.[local]'"
        ) from error
    if not callable(getattr(LambdaSimpleBackend, "invoke", None)):
        raise MotoHookMissing("moto's LambdaSimpleBackend has no invoke(); the pinned moto==5.2.5 is required")
    return LambdaSimpleBackend


def require_hook_points() -> None:
    """Fail loudly and early when the installed moto is not the one we know."""
    _moto_lambda_backend_class()
    try:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends  # noqa: F401
    except ImportError as error:
        raise MotoHookMissing(
            f"moto lacks the Step Functions interpreter ({error}); moto==5.2.5 is required"
        ) from error


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: float = 30.0
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """As in Lambda: the function's timeout minus the time this invocation has run
        (the payout run stops before it; a constant would hide that). In virtual time, what
        this invocation's lane has left (virtual_time.py)."""
        vt = virtual_time.active()
        remaining = vt.remaining_ms() if vt is not None else None
        if remaining is not None:
            return remaining
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def _handler_for(handler_path: str):
    fn = _handlers.get(handler_path)
    if fn is None:
        module_name, attr = handler_path.rsplit(".", 1)
        fn = getattr(importlib.import_module(module_name), attr)
        _handlers[handler_path] = fn
    return fn


def call(
    function_name: str,
    function_arn: str,
    handler_path: str,
    env: dict[str, str],
    memory_mb: int,
    event: Any,
    timeout_seconds: float = 30.0,
) -> tuple[Any, dict | None]:
    """Calls a handler as Lambda would. Returns (result, None) or (None, error payload)."""
    gate = _gates.get(function_name)
    if gate is not None:
        gate.wait()
    with _activity_lock:
        _activity["in_flight"] += 1
    try:
        return _call_locked(function_name, function_arn, handler_path, env, memory_mb, event, timeout_seconds)
    finally:
        with _activity_lock:
            _activity["in_flight"] -= 1
            _activity["last_end"] = time.monotonic()


_gates: dict[str, threading.Event] = {}


class hold:
    """Holds every invocation of one function at its start until the block ends: a
    seam for tests that need events to arrive in a chosen order."""

    def __init__(self, function_name: str):
        self.function_name = function_name

    def __enter__(self) -> hold:
        _gates[self.function_name] = threading.Event()
        return self

    def __exit__(self, *exc: object) -> None:
        _gates.pop(self.function_name).set()


def _call_locked(
    function_name: str,
    function_arn: str,
    handler_path: str,
    env: dict[str, str],
    memory_mb: int,
    event: Any,
    timeout_seconds: float,
) -> tuple[Any, dict | None]:
    with _lock:
        invocation_counts[function_name] = invocation_counts.get(function_name, 0) + 1
        _apply_environment(env)
        vt = virtual_time.active()
        try:
            context = LambdaContext(function_name, memory_mb, function_arn, str(uuid.uuid4()), timeout_seconds)
            if vt is None:
                return _handler_for(handler_path)(event, context), None
            with vt.invocation(function_name, timeout_seconds):
                return _handler_for(handler_path)(event, context), None
        except virtual_time.LambdaThrottled as refused:
            # Lambda's 429, as Step Functions names it for a Task (its Retry backs off).
            return None, {"errorType": "Lambda.TooManyRequestsException", "errorMessage": str(refused)}
        except virtual_time.LambdaTimedOut as stopped:
            # What Lambda answers for an invocation it stopped at its timeout (the Task's error).
            return None, {"errorType": "Sandbox.Timedout", "errorMessage": f"{context.aws_request_id} Error: {stopped}"}
        except Exception as error:  # noqa: BLE001 - becomes a Lambda function error, as in AWS
            return None, {
                "errorType": type(error).__name__,
                "errorMessage": getattr(error, "message", None) or str(error),
                "stackTrace": traceback.format_exception(error)[-5:],
            }
        finally:
            # Metrics are disabled locally (no CloudWatch); Powertools would still keep
            # them in memory and print them once 100 pile up.
            _discard_metrics()


def _apply_environment(env: dict[str, str]) -> None:
    """The function's environment must be the process environment. LocalCloud applies
    every function's variables before anything runs (they agree: one catalogue), so
    this normally changes nothing; os.environ is never mutated per call, because other
    threads (moto's interpreter creating boto3 clients) iterate it concurrently."""
    missing = {k: v for k, v in env.items() if os.environ.get(k) != v}
    if missing:
        os.environ.update(missing)


def _discard_metrics() -> None:
    from prakerja_flow.observability import metrics

    metrics.clear_metrics()


def install() -> None:
    """Replace moto's echoing Lambda with a dispatcher to our real handlers."""
    global _installed
    if _installed:
        return
    backend_class = _moto_lambda_backend_class()

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        fn = self.get_function(function_name, qualifier)
        event = json.loads(body) if body else {}
        result, error = call(
            fn.function_name,
            fn.function_arn,
            fn.handler,
            dict(fn.environment_vars or {}),
            int(fn.memory_size or 128),
            event,
            float(fn.timeout or 3),
        )
        if error is not None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(error).encode()
        return json.dumps(result).encode()

    backend_class.invoke = invoke
    _installed = True


def known_handlers() -> set[str]:
    return {spec.handler for spec in catalogue.FUNCTIONS}
