"""The payout run in virtual time (issue 14, item 4): every provider call costs its latency of
programme time, never slept; the shard children work side by side; an invocation that passes
its Lambda timeout is stopped where it is, and what it left SENT converges to one payment
once the provider answers in time again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from support.lifecycle_steps import paid_lines

from bench.payout_run_throughput import setup
from prakerja.local import invoker
from prakerja.local.cloud import LocalCloud
from prakerja.local.virtual_time import VirtualTime
from prakerja_flow import catalogue, config
from prakerja_flow.data import entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.fake import FakeProvider

PAYOUT_RUN = catalogue.PAYOUT_RUN.key
PAY_SHARD = "prakerja-pay-shard"
SCALE = 1000  # each 100 ms call costs 100 s of programme time: a 1/1000 run's slow worker
N = 40


@pytest.fixture
def virtual():
    return VirtualTime(provider_latency_s=0.1, scale=SCALE)


@pytest.fixture
def cloud(virtual):
    with LocalCloud(provider=FakeProvider(), virtual=virtual) as local:
        yield local


def keys_paid(cloud) -> Counter:
    return Counter(line["idempotency_key"] for line in paid_lines(cloud))


def test_a_run_pays_every_due_payout_in_virtual_time_its_children_side_by_side(cloud, virtual):
    setup(cloud, N)
    virtual.at(0)
    report = cloud.run_job(PAYOUT_RUN)
    assert report["outcomes"] == {"paid": N} and report["failed_shards"] == []
    paid = keys_paid(cloud)
    assert len(paid) == N and set(paid.values()) == {1}
    per_payout_s = 2 * 0.1 * SCALE  # an inquiry and a transfer
    took = virtual.since_at()
    # The shards' payouts one after another, the shards beside each other: far less than all
    # the payouts in a row (16 shards; at least a quarter of that parallelism survives).
    assert 2 * per_payout_s <= took < N * per_payout_s / 4, took
    assert virtual.spent_by_provider_s == pytest.approx(N * per_payout_s)
    assert virtual.timeouts == {}


def test_a_batch_stops_before_its_timeout_so_a_slow_provider_means_more_batches_not_timeouts(cloud, virtual):
    setup(cloud, N)
    invoker.invocation_counts.clear()
    virtual.at(0)
    report = cloud.run_job(PAYOUT_RUN)
    budget = 15 * 60 - config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT.total_seconds()
    per_batch = int(budget // (2 * 0.1 * SCALE)) + 1  # a payout starts while more than the margin is left
    assert invoker.invocation_counts[PAY_SHARD] >= N / per_batch
    assert report["outcomes"] == {"paid": N} and virtual.timeouts == {}


def test_a_provider_slower_than_the_lambda_timeout_stops_invocations_and_pays_nothing_twice(cloud, virtual):
    setup(cloud, N)
    cloud.provider.latency = 0.5  # 500 s a call at 1/1000: the inquiry fits, the transfer does not
    virtual.at(0)
    report = cloud.run_job(PAYOUT_RUN)
    assert virtual.timeouts.get(PAY_SHARD, 0) >= 1
    assert report["outcomes"].get("paid", 0) == 0 and report["failed_shards"]
    assert keys_paid(cloud) == Counter()
    stranded = Counter(e["status"] for e in _all_entitlements(cloud))
    assert stranded[inc.SENT] >= 1  # marked before the call the invocation never finished

    cloud.provider.latency = 0.1  # the provider is quick again
    cloud.clock.advance(config.SENT_SETTLEMENT_AFTER + timedelta(minutes=1))
    virtual.at(0)
    cloud.run_job(PAYOUT_RUN)
    paid = keys_paid(cloud)
    assert len(paid) == N and set(paid.values()) == {1}  # every key once, the stranded ones too


def _all_entitlements(cloud) -> list[dict]:
    return [e for i in range(N) for e in entitlements.of(f"P{i:07d}") if e["kind"] == inc.POST_TRAINING]
