"""Virtual time and Step Functions' rate buckets, without AWS (issue 14, item 4):
prakerja/local/virtual_time.py and prakerja/local/moto_patches/fidelity/rate_buckets.py."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from prakerja.local.moto_patches.fidelity import rate_buckets
from prakerja.local.moto_patches.fidelity.rate_buckets import Bucket
from prakerja.local.virtual_time import LambdaThrottled, LambdaTimedOut, VirtualTime
from prakerja_flow import config

DAY = datetime(2020, 7, 1, 8, 0, tzinfo=UTC)


def vt(**kwargs) -> VirtualTime:
    return VirtualTime(clock=lambda: DAY, **kwargs)


def test_a_lane_spends_from_the_moment_the_simulation_set():
    t = vt()
    t.at(3600)
    t.spend(10)
    t.spend(5)
    assert t.now() == DAY.timestamp() + 3600 + 15
    t.at(7200)  # the next action: the lane starts again from its own moment
    assert t.now() == DAY.timestamp() + 7200


def test_lanes_are_per_thread_and_the_work_takes_the_longest_lane_not_the_sum():
    t = vt()
    t.at(0)

    def worker(seconds: float) -> None:
        t.spend(seconds)

    threads = [threading.Thread(target=worker, args=(s,)) for s in (100, 300, 200)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert t.spent() == 0  # the calling thread spent nothing
    assert t.since_at() == 300  # side by side: the longest lane, not 600


def test_an_invocation_is_stopped_where_it_passes_its_timeout_and_counted():
    t = vt()
    with pytest.raises(LambdaTimedOut, match="after 900.00 seconds"):
        with t.invocation("pay-shard", 900):
            t.spend(800)
            assert t.remaining_ms() == 100_000
            t.spend(200)  # the call that would end after the deadline
    assert t.timeouts == {"pay-shard": 1}
    assert t.remaining_ms() is None  # outside an invocation
    assert t.spent() == 900  # stopped at the deadline, not after the call


def test_a_k_times_slower_worker_has_k_times_its_timeout_and_sees_its_own_time_left():
    t = vt(scale=1000)
    with t.invocation("pay-shard", 900):
        t.spend(450_000)  # half of 900 s of its own time
        assert t.remaining_ms() == 450_000  # what Lambda's context says: its own milliseconds
        with pytest.raises(LambdaTimedOut):
            t.spend(450_001)


def test_lambda_timed_out_is_not_an_exception_the_handler_can_swallow():
    assert not issubclass(LambdaTimedOut, Exception)


def test_a_provider_call_costs_its_latency_k_times_and_the_rate_limit_sees_dilated_time():
    t = vt(provider_latency_s=0.1, scale=1000)
    t.at(0)
    t.provider_round_trip(0.1)
    assert t.spent() == pytest.approx(100.0) and t.spent_by_provider_s == pytest.approx(100.0)
    before = t.dilated_now()
    t.dilated_sleep(0.5)  # the child's rate-limit wait: 0.5 s of its own, 500 s of programme time
    assert t.spent() == pytest.approx(600.0) and t.dilated_now() - before == pytest.approx(0.5)


def test_a_bucket_refills_at_its_rate_up_to_its_size():
    b = Bucket(size=2, refill=0.5)
    assert b.take(0) and b.take(0) and not b.take(0)
    assert not b.take(1.9)  # 0.95 of a token
    assert b.take(2.0)
    assert b.take(100) and b.take(100) and not b.take(100)  # never more than its size saved up


def test_a_transition_waits_for_its_token_instead_of_failing():
    b = Bucket(size=1, refill=2)
    assert b.wait_for(0) == 0
    assert b.wait_for(0) == pytest.approx(0.5)
    assert b.wait_for(0) == pytest.approx(1.0)  # queued behind the one before


def test_scaled_buckets_divide_the_refill_and_keep_room_for_one_arrivals_calls():
    size, refill = config.STEP_FUNCTIONS_RATE_BUCKETS["SendTaskSuccess"]
    at_aws = rate_buckets.scaled("SendTaskSuccess", 1)
    assert (at_aws.size, at_aws.refill) == (size, refill)
    small = rate_buckets.scaled("SendTaskSuccess", 1000)
    assert small.refill == refill / 1000 and small.size == rate_buckets.MIN_SCALED_TOKENS
    start_size = config.STEP_FUNCTIONS_RATE_BUCKETS["StartExecution"][0]
    assert rate_buckets.scaled("StartExecution", 10).size == start_size / 10


def test_a_throttled_call_is_retried_with_the_sdks_backoff_in_virtual_time():
    t = vt(scale=1)
    t.at(0)
    t.buckets["SendTaskSuccess"] = Bucket(size=1, refill=2.0, tokens=0.0, at=t.now())
    assert rate_buckets.admit(t, "SendTaskSuccess")  # the token came during the first backoff
    assert t.retried == {"SendTaskSuccess": 1} and t.throttled == {}
    assert t.spent() == rate_buckets.sdk_backoff_s(1)


def test_a_call_still_throttled_after_every_attempt_is_refused_and_counted():
    t = vt(scale=1)
    t.at(0)
    t.buckets["StartExecution"] = Bucket(size=1, refill=1e-6, tokens=0.0, at=t.now())
    assert not rate_buckets.admit(t, "StartExecution")
    assert t.throttled == {"StartExecution": 1}
    waited = sum(rate_buckets.sdk_backoff_s(a) for a in range(1, config.AWS_CALL_MAX_ATTEMPTS))
    assert t.spent() == pytest.approx(waited)  # the SDK's backoffs, spent, never slept


def test_the_sdk_backoff_doubles_and_is_capped():
    assert [rate_buckets.sdk_backoff_s(a) for a in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert rate_buckets.sdk_backoff_s(30) == rate_buckets.SDK_BACKOFF_MAX_S / 2


def test_invocations_overlapping_in_virtual_time_count_against_the_accounts_concurrency():
    t = vt(concurrency_limit=2)
    t.at(0)
    results: dict[str, object] = {}

    def lane(name: str, seconds: float) -> None:
        try:
            with t.invocation("pay-shard", 900):
                t.spend(seconds)
            results[name] = "ran"
        except LambdaThrottled:
            results[name] = "throttled"

    for name in ("a", "b", "c"):  # one after another in the process, side by side in virtual time
        th = threading.Thread(target=lane, args=(name, 100))
        th.start()
        th.join()
    assert results == {"a": "ran", "b": "ran", "c": "throttled"}
    assert t.concurrency_peak == {"pay-shard": 2} and t.throttled == {"Lambda:pay-shard": 1}
    t.spend(100)  # this lane moves past their end: the account is free again
    with t.invocation("pay-shard", 900):
        pass
