"""The provider's contracted rate (payments/rate_limit.py): a token bucket per payout child,
an equal share each, so all children together never exceed the contract. Pure: a fake clock
whose sleep moves it forward."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prakerja_flow import config
from prakerja_flow.payments import rate_limit
from prakerja_flow.payments.provider import PAID, TransferRequest, TransferResult


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def bucket(rate: float, burst: float, clock: FakeTime) -> rate_limit.TokenBucket:
    return rate_limit.TokenBucket(rate=rate, burst=burst, now=clock.now, sleep=clock.sleep)


def test_a_full_bucket_lets_the_burst_through_and_then_keeps_to_the_rate():
    clock = FakeTime()
    b = bucket(10, 5, clock)
    waits = [b.take() for _ in range(25)]
    assert waits[:5] == [0.0] * 5  # the burst
    assert all(w == pytest.approx(0.1) for w in waits[5:])  # then one token every 1/rate s
    assert clock.t == pytest.approx(2.0)  # 20 tokens after the burst at 10/s


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.5, max_value=500),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=200),
)
def test_calls_admitted_by_any_moment_never_exceed_burst_plus_rate_times_elapsed(rate, burst, gaps):
    clock = FakeTime()
    b = bucket(rate, burst, clock)
    admitted: list[float] = []
    for gap in gaps:
        clock.t += gap
        b.take()
        admitted.append(clock.t)  # when the call goes out (after any wait)
    for i, at in enumerate(admitted):
        assert i + 1 <= burst + rate * at + 1e-6


def test_each_child_keeps_to_an_equal_share_of_the_contract():
    share = rate_limit.share(config.PAYMENT_PROVIDER_MAX_CALLS_PER_SECOND, config.PAYOUT_RUN_MAX_CONCURRENCY)
    assert share.rate * config.PAYOUT_RUN_MAX_CONCURRENCY == pytest.approx(config.PAYMENT_PROVIDER_MAX_CALLS_PER_SECOND)
    assert rate_limit.share(200, 0).rate == 200  # a run without a concurrency is one child
    # Two calls per payout at the whole contract stay under Step Functions' refill rates:
    # 2 transitions (500/s) and 1 SendTaskSuccess (300/s) per resumed payout.
    payouts_per_s = config.PAYMENT_PROVIDER_MAX_CALLS_PER_SECOND / 2
    assert 2 * payouts_per_s < 500 and payouts_per_s < 300


def test_concurrent_callers_share_one_bucket_without_exceeding_it():
    clock = FakeTime()
    # The clock stands still: every caller arrives at once and only records its wait.
    b = rate_limit.TokenBucket(rate=4, burst=2, now=clock.now, sleep=clock.slept.append)
    threads = [threading.Thread(target=b.take) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # With the clock standing still, 2 tokens were saved and 8 were reserved ahead: the
    # waits are 1/4 s, 2/4 s, ... 8/4 s, each caller queued behind the previous one.
    assert sorted(clock.slept) == pytest.approx([k / 4 for k in range(1, 9)])


def test_the_limited_provider_takes_a_token_for_every_call_but_the_statement():
    clock = FakeTime()

    class Inner:
        def inquire(self, *args):
            return "inquiry"

        def transfer(self, request):
            return TransferResult(PAID, "TRF1")

        def status(self, key):
            return None

        def statement(self, since, until):
            return []

    limited = rate_limit.RateLimited(Inner(), bucket(1, 1, clock))
    request = TransferRequest("k", "P1", "POST_TRAINING", 1, 600_000, "OVO", "0812")
    assert limited.inquire("OVO", "0812", "3171") == "inquiry"
    assert limited.transfer(request).status == PAID
    assert limited.status("k") is None
    assert limited.statement("a", "b") == []
    assert limited.calls == 3 and limited.waited_s == pytest.approx(2.0) and clock.t == pytest.approx(2.0)


def test_a_bucket_needs_a_rate_and_a_token():
    with pytest.raises(ValueError):
        rate_limit.TokenBucket(rate=0)
    with pytest.raises(ValueError):
        rate_limit.TokenBucket(rate=1, burst=0.5)
