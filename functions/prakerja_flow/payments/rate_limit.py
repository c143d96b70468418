"""The payment provider's contracted call rate, held by every payout child together.

The provider's contract allows config.PAYMENT_PROVIDER_MAX_CALLS_PER_SECOND. The payout run
has at most `max_concurrency` children at a time, so each child keeps to an equal share with
a token bucket of its own: no shared counter to coordinate (nor to make hot), and the sum of
the shares never exceeds the contract. A call that finds the bucket empty waits for its
token; waiting is what a Lambda environment does while its neighbours work."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..domain.accounts import AccountInquiry
from .provider import PaymentProvider, TransferRequest, TransferResult

# How the bucket waits; the local runtime lets other invocations run meanwhile
# (prakerja/local/invoker.wait_outside), as on AWS other environments do, or accounts the
# wait in virtual time with the clock that goes with it (prakerja/local/virtual_time.py).
_sleep: list[Callable[[float], None]] = [time.sleep]
_now: list[Callable[[], float]] = [time.monotonic]


def set_sleep(sleep: Callable[[float], None] | None, now: Callable[[], float] | None = None) -> None:
    _sleep[0] = sleep or time.sleep
    _now[0] = now or time.monotonic


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up. take() reserves the next token and
    sleeps until it is due, so concurrent callers queue up in order (the bucket can go into
    debt: a later caller waits for the tokens the earlier ones took)."""

    rate: float
    burst: float = 1.0
    now: Callable[[], float] | None = None
    sleep: Callable[[float], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least one token")
        self._tokens = float(self.burst)
        self._at = self._clock()

    def _clock(self) -> float:
        return (self.now or _now[0])()

    def take(self) -> float:
        """Seconds waited for the token (0 when one was saved up)."""
        with self._lock:
            t = self._clock()
            self._tokens = min(self.burst, self._tokens + (t - self._at) * self.rate)
            self._at = t
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            (self.sleep or _sleep[0])(wait)
        return wait


@dataclass
class RateLimited:
    """A PaymentProvider whose every call (inquiry, transfer, status) takes a token first."""

    inner: PaymentProvider
    bucket: TokenBucket
    waited_s: float = 0.0
    calls: int = 0

    def _token(self) -> None:
        self.waited_s += self.bucket.take()
        self.calls += 1

    def inquire(self, channel: str, account_number: str, holder_nik: str) -> AccountInquiry:
        self._token()
        return self.inner.inquire(channel, account_number, holder_nik)

    def transfer(self, request: TransferRequest) -> TransferResult:
        self._token()
        return self.inner.transfer(request)

    def status(self, idempotency_key: str) -> TransferResult | None:
        self._token()
        return self.inner.status(idempotency_key)

    def statement(self, since: str, until: str) -> list[dict]:
        return self.inner.statement(since, until)


def share(max_calls_per_second: float, workers: int) -> TokenBucket:
    """One child's bucket: an equal share of the contract, a second's worth of burst."""
    rate = max_calls_per_second / max(1, workers)
    return TokenBucket(rate=rate, burst=max(1.0, rate))
