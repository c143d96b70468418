"""Step Functions' API rates as token buckets, in virtual time, as AWS enforces them.

Wraps `moto.stepfunctions.parser.models.StepFunctionsParserBackend.start_execution`,
`send_task_success`, `send_task_failure` and `send_task_heartbeat`, and
`moto.stepfunctions.parser.asl.component.state.state.CommonStateField._eval_body` (every state
an execution enters: one state transition), which moto 5.2.5 runs at any rate. AWS keeps a
token bucket per API and account (config.STEP_FUNCTIONS_RATE_BUCKETS: size, refill per
second): an API call that finds its bucket empty is answered `ThrottlingException`, and a
transition beyond its bucket waits for its token (the execution slows down).

Only while a virtual time is in force (prakerja/local/virtual_time.py: `simulate --scale`);
otherwise every call passes as before. Buckets refill in virtual seconds and are divided by
the virtual time's `scale`. Our clients retry a throttled call with botocore's standard
backoff (data/clients.py); the in-process calls skip botocore's retry loop
(speed/direct_calls.py), so the retries happen here, each after its expected backoff spent in
virtual time, and only what is still refused after config.AWS_CALL_MAX_ATTEMPTS reaches
the caller, as on AWS."""

from __future__ import annotations

from dataclasses import dataclass

from prakerja_flow import config

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY
API_METHODS = {
    "StartExecution": "start_execution",
    "SendTaskSuccess": "send_task_success",
    "SendTaskFailure": "send_task_failure",
    "SendTaskHeartbeat": "send_task_heartbeat",
}
TRANSITION = "StateTransition"
# botocore's standard retry mode waits random() * 2 ** (attempt - 1) seconds (at most 20)
# before attempt `attempt + 1`: its expected value is spent, so a run is reproducible.
SDK_BACKOFF_MAX_S = 20.0


def sdk_backoff_s(attempt: int) -> float:
    return min(SDK_BACKOFF_MAX_S, 2 ** (attempt - 1)) / 2


@dataclass
class Bucket:
    """`size` tokens at most, `refill` a second; starts full."""

    size: float
    refill: float
    tokens: float = -1.0
    at: float | None = None

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.size

    def _refill(self, now: float) -> None:
        if self.at is not None and now > self.at:
            self.tokens = min(self.size, self.tokens + (now - self.at) * self.refill)
        if self.at is None or now > self.at:
            self.at = now

    def take(self, now: float) -> bool:
        """A token now, if there is one."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait_for(self, now: float) -> float:
        """Takes the next token, into debt if need be: the seconds until it is due."""
        self._refill(now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.refill


# The smallest bucket a scaled run gets. Scaling divides the arrivals, not what one arrival
# does: a first certificate makes about three SendTaskSuccess calls within a second (the
# execution's Await tasks finding their events), so a bucket of 1.5 (1,500 / 1,000) would
# throttle one participant's own calls, which AWS's 1,500 never does.
MIN_SCALED_TOKENS = 10.0


def scaled(name: str, scale: int) -> Bucket:
    """AWS's bucket divided by `scale`, with room for one arrival's own calls."""
    size, refill = config.STEP_FUNCTIONS_RATE_BUCKETS[name]
    return Bucket(size=size if scale <= 1 else max(MIN_SCALED_TOKENS, size / scale), refill=refill / scale)


def bucket(vt, name: str) -> Bucket:
    with vt._lock:
        found = vt.buckets.get(name)
        if found is None:
            found = vt.buckets[name] = scaled(name, vt.scale)
        return found


def admit(vt, name: str) -> bool:
    """An API call's token, with the SDK's retries: False when every attempt was throttled."""
    b = bucket(vt, name)
    for attempt in range(1, config.AWS_CALL_MAX_ATTEMPTS + 1):
        with vt._lock:
            got = b.take(vt.now())
        if got:
            if attempt > 1:
                vt.count(vt.retried, name)
            return True
        if attempt < config.AWS_CALL_MAX_ATTEMPTS:
            vt.spend(sdk_backoff_s(attempt))
    vt.count(vt.throttled, name)
    return False


def install(patch: Patcher) -> None:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from ... import virtual_time

    class ThrottlingException(AWSError):
        TYPE = "ThrottlingException"
        STATUS = 400

    def limited(name: str, original):
        def call(self, *args, **kwargs):
            vt = virtual_time.active()
            if vt is not None and not admit(vt, name):
                raise ThrottlingException(f"Rate exceeded ({name}, in virtual time)")
            return original(self, *args, **kwargs)

        call.__name__ = original.__name__
        return call

    for name, method in API_METHODS.items():
        original = getattr(StepFunctionsParserBackend, method, None)
        require(callable(original), f"moto's StepFunctionsParserBackend.{method}")
        patch.replace(StepFunctionsParserBackend, method, limited(name, original))

    eval_body = CommonStateField.__dict__.get("_eval_body")
    require(callable(eval_body), "moto's CommonStateField._eval_body")

    def _eval_body(self, env):
        vt = virtual_time.active()
        if vt is not None:
            with vt._lock:
                wait = bucket(vt, TRANSITION).wait_for(vt.now())
            if wait > 0:
                vt.count(vt.held_s, TRANSITION, wait)
                vt.spend(wait)
        return eval_body(self, env)

    patch.replace(CommonStateField, "_eval_body", _eval_body)
