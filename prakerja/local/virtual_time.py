"""Virtual time: what the local stack's work costs in programme time, accounted, never slept.

A simulation holds each programme day still while it works through it, and its provider
answers at once, so nothing that costs time on AWS costs any here: the rate quotas, the
provider's round trip and the Lambda timeout would never bind. With virtual time switched on
(`LocalCloud(virtual=VirtualTime(...))`, `simulate --scale`), each thread keeps a lane of
seconds it has spent: a provider call spends its latency, a DynamoDB request its round
trip, a call that waits for a token spends the wait, a Lambda invocation may spend at most
its function's timeout (past it, the invocation is stopped where it is, as Lambda stops it).
The moment a call is made is

    programme clock (the day) + the offset in the day the simulation set (an arrival, a job)
    + what this thread's lane has spent since then

so the payout run's children, each on its own interpreter thread (moto's Map workers),
work side by side in virtual time while the process runs them one after another.

`scale` K: the simulation carries 1/K of the programme's load, so every rate quota is
divided by K (rate_buckets.py). Workers are not divided (a Map runs 16 children, a Lambda
environment is one): they run K times slower instead, in everything they do (each provider
call costs K times its latency, each child's share of the provider's rate is K times
smaller, an invocation's timeout is K times longer), so that 1/K of the work takes the
programme time the whole work takes on AWS, in batches of the same size (docs/capacity.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta


class LambdaThrottled(Exception):
    """The account had its quota of invocations running at that virtual moment: Lambda
    refuses the invocation (TooManyRequestsException) and Step Functions retries it."""


class LambdaTimedOut(BaseException):
    """The invocation ran past its function's timeout in virtual time: Lambda stops it where
    it is. A BaseException, as the stop is: the handler's own `except Exception` cannot
    catch it and carry on (prakerja/local/invoker.py reports it as Lambda does)."""


@dataclass
class Lane:
    """One worker's seconds spent, and its invocation's deadline while it runs one. A thread
    has its own lane unless it was started to carry on its parent's work (moto's Task
    thread shares its state's lane; a Map worker forks its parent's: virtual_lanes.py)."""

    spent: float = 0.0
    deadline: float | None = None
    timeout_s: float | None = None


@dataclass
class VirtualTime:
    """`provider_latency_s`: one provider call's round trip on AWS; `scale`: the load's
    divisor (see the module's docstring)."""

    provider_latency_s: float = 0.0
    scale: int = 1
    dynamodb_latency_s: float = 0.0  # one DynamoDB request's round trip on AWS
    clock: Callable[[], datetime] | None = None
    offset_s: float = 0.0
    latest: float = 0.0  # the latest moment any lane reached since the last at()
    spent_by_provider_s: float = 0.0
    spent_by_dynamodb_s: float = 0.0
    dynamodb_calls: int = 0
    timeouts: dict[str, int] = field(default_factory=dict)
    # Step Functions' rate buckets (moto_patches/fidelity/rate_buckets.py keeps them here, one
    # set per local cloud) and what they did: calls answered ThrottlingException after the
    # SDK's retries, calls that got their token on a retry, seconds transitions were held.
    # Lambda's concurrent executions per account and Region (AWS's default; not divided by the
    # scale: it counts workers), the invocations running in virtual time, and the peak of each
    # function.
    concurrency_limit: int = 1_000
    running: list = field(default_factory=list)
    concurrency_peak: dict[str, int] = field(default_factory=dict)
    buckets: dict = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    retried: dict[str, int] = field(default_factory=dict)
    held_s: dict[str, float] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def count(self, table: dict, key: str, amount: float = 1) -> None:
        with self._lock:
            table[key] = table.get(key, 0) + amount

    def as_dict(self) -> dict:
        return {
            "scale": self.scale,
            "provider_latency_s": self.provider_latency_s,
            "provider_time_s": round(self.spent_by_provider_s, 3),
            "dynamodb_latency_s": self.dynamodb_latency_s,
            "dynamodb_calls": self.dynamodb_calls,
            "dynamodb_time_s": round(self.spent_by_dynamodb_s, 3),
            "lambda_timeouts": dict(sorted(self.timeouts.items())),
            "lambda_concurrency_peak": dict(sorted(self.concurrency_peak.items())),
            "throttled": dict(sorted(self.throttled.items())),
            "retried": dict(sorted(self.retried.items())),
            "held_s": {k: round(v, 3) for k, v in sorted(self.held_s.items())},
        }

    # --- the lanes ------------------------------------------------------------------------

    def programme_clock(self) -> datetime:
        """What the functions read as now (prakerja_flow.clock's source): the day, the moment in
        it and what this thread's lane has spent since, so a payment a lane makes hours into a
        long payout run is dated then, and paid late when it is."""
        assert self.clock is not None, "installed with the local cloud's clock"
        return self.clock() + timedelta(seconds=self.offset_s + self.spent())

    def lane(self) -> Lane:
        found = getattr(self._local, "lane", None)
        if found is None:
            found = self._local.lane = Lane()
        return found

    def adopt(self, lane: Lane) -> None:
        """This thread works on `lane` from now on."""
        self._local.lane = lane

    def spent(self) -> float:
        return self.lane().spent

    def now(self) -> float:
        """Programme seconds (unix) of the call being made on this thread."""
        base = self.clock().timestamp() if self.clock else 0.0
        return base + self.offset_s + self.spent()

    def at(self, offset_s: float) -> None:
        """The simulation's next action happens `offset_s` into the programme day (on the
        calling thread, whose lane starts again from there)."""
        self.offset_s = float(offset_s)
        self._local.lane = Lane()
        self.latest = self.now()

    def since_at(self) -> float:
        """Seconds from the last at() to the latest moment a lane reached since: how long the
        work started there took, its lanes side by side (a payout run's children)."""
        return max(0.0, self.latest - (self.now() - self.spent()))

    def spend(self, seconds: float) -> None:
        """This thread's lane spends `seconds`; an invocation that passes its deadline stops."""
        if seconds <= 0:
            return
        lane = self.lane()
        spent = lane.spent + seconds
        if lane.deadline is not None and spent > lane.deadline:
            lane.spent = lane.deadline
            self._reached()
            raise LambdaTimedOut(f"Task timed out after {lane.timeout_s:.2f} seconds")
        lane.spent = spent
        self._reached()

    def _reached(self) -> None:
        moment = self.now()
        with self._lock:
            self.latest = max(self.latest, moment)

    # --- what costs time --------------------------------------------------------------------

    def provider_round_trip(self, seconds: float) -> None:
        """The fake provider's wait (its `latency`): K times over, by a K-times slower worker."""
        cost = seconds * self.scale
        with self._lock:
            self.spent_by_provider_s += cost
        self.spend(cost)

    def dynamodb_round_trip(self) -> None:
        """One DynamoDB request's round trip, by a K-times slower worker: K times over."""
        cost = self.dynamodb_latency_s * self.scale
        with self._lock:
            self.spent_by_dynamodb_s += cost
            self.dynamodb_calls += 1
        self.spend(cost)

    def dilated_now(self) -> float:
        """The payout child's rate-limit clock: a K-times slower worker sees 1/K of the time
        pass, so its share of the provider's rate is 1/K per virtual second."""
        return self.now() / self.scale

    def dilated_sleep(self, seconds: float) -> None:
        self.spend(seconds * self.scale)

    # --- Lambda invocations -------------------------------------------------------------------

    @contextmanager
    def invocation(self, function_name: str, timeout_s: float) -> Iterator[None]:
        """One invocation on this thread: at most its `timeout_s` of its own, K-times slower
        time (so a 1/K run's batch pays as many payouts as AWS's does before it stops)."""
        started = self._admit(function_name)
        lane = self.lane()
        outer = lane.deadline, lane.timeout_s
        lane.deadline, lane.timeout_s = lane.spent + timeout_s * self.scale, timeout_s
        try:
            yield
        except LambdaTimedOut:
            self.count(self.timeouts, function_name)
            raise
        finally:
            lane.deadline, lane.timeout_s = outer
            with self._lock:
                self.running.append((function_name, started, self.now()))

    def _admit(self, function_name: str) -> float:
        """The invocation's start, if the account has a concurrent execution free then: the
        invocations run one after another in this process, but in virtual time each lasted
        from its start to its end, side by side with the other lanes'."""
        start = self.now()
        with self._lock:
            horizon = start - 86_400  # nothing runs for a day: older ones cannot overlap
            self.running = [r for r in self.running if r[2] > horizon]
            live = [fn for fn, began, ended in self.running if began <= start < ended]
            if len(live) >= self.concurrency_limit:
                self.count(self.throttled, f"Lambda:{function_name}")
                raise LambdaThrottled(f"Rate Exceeded: {len(live)} concurrent executions running")
            same = 1 + sum(1 for fn in live if fn == function_name)
            self.concurrency_peak[function_name] = max(self.concurrency_peak.get(function_name, 0), same)
        return start

    def remaining_ms(self) -> int | None:
        """What an invocation on this thread has left of its own time, or None outside one."""
        lane = self.lane()
        if lane.deadline is None:
            return None
        return max(0, int((lane.deadline - lane.spent) * 1000 / self.scale))


# The virtual time in force (LocalCloud installs it and takes it away); None: wall time.
current: list[VirtualTime | None] = [None]


def active() -> VirtualTime | None:
    return current[0]


def install(vt: VirtualTime, clock: Callable[[], datetime], provider) -> None:
    """In force for one local cloud (LocalCloud.start): the fake provider's round trip and the
    payout children's rate-limit waits are accounted in `vt`, never slept."""
    from prakerja_flow.payments import rate_limit

    vt.clock = clock
    provider.latency = vt.provider_latency_s
    provider.wait = vt.provider_round_trip
    rate_limit.set_sleep(vt.dilated_sleep, vt.dilated_now)
    current[0] = vt


def uninstall() -> None:
    current[0] = None
