"""A payout run stops before its Lambda timeout, between two payouts, and the next run
pays the rest: nothing is lost, nothing is paid twice (issue 7's capacity limit 1:
one run cannot always pay a day's payouts)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from support.lifecycle_steps import open_wave, paid_lines, trained_and_rated

from prakerja.local import invoker
from prakerja_flow import catalogue, clock, config
from prakerja_flow.data import entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.services import payouts

PAYOUT_RUN = catalogue.PAYOUT_RUN.key
PAY_SHARD = "pay-shard"  # the function of the run's Map that pays a shard


def four_due(cloud) -> list[str]:
    open_wave(cloud)
    pids = [trained_and_rated(cloud, sequence) for sequence in range(1, 5)]
    cloud.clock.advance(config.FIRST_PAYOUT_DELAY + timedelta(hours=1))
    return pids


def test_a_run_out_of_time_stops_between_payouts_and_the_next_run_pays_the_rest(cloud):
    pids = four_due(cloud)
    allowed = iter([True, True, False])
    # Called from the test's thread, so it takes the invocation lock as a Lambda would: the
    # executions it resumes run their tasks meanwhile on moto's threads, and moto's own
    # TransactWriteItems (no speed patch) is not safe beside another thread's writes.
    with invoker.exclusive():
        first = payouts.run(cloud.clock(), cloud.provider, has_time=lambda: next(allowed))
    assert first.stopped_early and first.outcomes == Counter({"paid": 2})
    assert len(paid_lines(cloud)) == 2
    statuses = Counter(entitlements.get(pid, inc.POST_TRAINING, 1)["status"] for pid in pids)
    assert statuses == Counter({inc.PAID: 2, inc.SCHEDULED: 2})  # the rest untouched, still queued

    with invoker.exclusive():
        second = payouts.run(cloud.clock(), cloud.provider)
    assert not second.stopped_early and second.outcomes["paid"] == 2
    keys = Counter(line["idempotency_key"] for line in paid_lines(cloud))
    assert sorted(keys) == sorted(f"{pid}:{inc.POST_TRAINING}:1" for pid in pids) and set(keys.values()) == {1}


def test_the_deployed_handler_asks_lambda_how_much_time_is_left(cloud):
    """The shard function with a timeout shorter than the safety margin starts no payout
    (and its child does not loop on a batch that could do nothing); with its real timeout
    it pays: the handler reads the Lambda context."""
    four_due(cloud)
    name = catalogue.by_key(PAY_SHARD).function_name
    short = int(config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT.total_seconds()) - 1
    real = cloud.lambda_.get_function_configuration(FunctionName=name)["Timeout"]
    assert real > config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT.total_seconds()
    cloud.lambda_.update_function_configuration(FunctionName=name, Timeout=short)
    now = clock.iso(cloud.clock())
    report = cloud.run_job(PAYOUT_RUN, now)
    assert report["stopped_early"] is True and report["outcomes"] == {} and paid_lines(cloud) == []
    assert report["shards"] and report["failed_shards"] == []
    assert pay_shard_tasks(cloud) == len(report["shards"])  # one batch each: nothing to loop on
    cloud.lambda_.update_function_configuration(FunctionName=name, Timeout=real)
    report = cloud.run_job(PAYOUT_RUN, now)
    assert report["stopped_early"] is False and report["outcomes"] == {"paid": 4} and len(paid_lines(cloud)) == 4


def test_a_shard_out_of_time_goes_on_in_its_next_batch_within_the_same_run(cloud, monkeypatch):
    """Each batch (one Lambda invocation) may pay one payout only: the child loops until
    its shard is done, so one run pays all four; every payout once. All four are in one
    shard, so that its child must loop."""
    from prakerja_flow.data import keys

    monkeypatch.setattr(keys, "shard_of", lambda participant_id, shards=None: 3)
    pids = four_due(cloud)
    real = payouts.pay_shard

    def one_per_batch(*args, has_time, **kwargs):
        allowed = iter([True, False])
        return real(*args, has_time=lambda: next(allowed, False), **kwargs)

    monkeypatch.setattr(payouts, "pay_shard", one_per_batch)
    report = cloud.run_job(PAYOUT_RUN)
    assert report["outcomes"] == {"paid": 4} and report["stopped_early"] is False
    assert report["shards"] == [3]
    # A batch per payout: each stops when asked about the next one, the next goes on.
    assert pay_shard_tasks(cloud) == len(pids)
    keys = Counter(line["idempotency_key"] for line in paid_lines(cloud))
    assert set(keys.values()) == {1} and len(keys) == 4
    ents = [entitlements.get(pid, inc.POST_TRAINING, 1) for pid in pids]
    assert {e["sent_by_run"] for e in ents} == {cloud.last_execution[PAYOUT_RUN].rsplit(":", 1)[1]}


def pay_shard_tasks(cloud) -> int:
    """PayShard tasks the last payout-run execution ran (its history)."""
    arn = cloud.last_execution[PAYOUT_RUN]
    pages = cloud.sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return sum(
        1
        for page in pages
        for e in page["events"]
        if e["type"] == "TaskStateEntered" and e["stateEnteredEventDetails"]["name"] == "PayShard"
    )
