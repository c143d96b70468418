"""The payout run in virtual time (issue 14, item 4): every provider call costs its latency of
programme time, never slept; the shard children work side by side; a batch stops before its
Lambda timeout; an invocation that passes the timeout is stopped where it is, and what it
left SENT converges to one payment once the provider answers in time again."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from support.lifecycle_steps import paid_lines

from bench.payout_run_throughput import setup
from prakerja.local import invoker
from prakerja.local.cloud import LocalCloud
from prakerja.local.virtual_time import VirtualTime
from prakerja.simulate_time import payout_concurrency
from prakerja_flow import catalogue, clock, config
from prakerja_flow.data import entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.fake import FakeProvider
from prakerja_flow.services import payout_run

PAYOUT_RUN = catalogue.PAYOUT_RUN.key
PAY_SHARD = "prakerja-pay-shard"
PAY_SHARD_TIMEOUT_S = 15 * 60
N = 40


@contextmanager
def stack(latency_s: float, scale: int, dynamodb_latency_s: float = 0.0):
    virtual = VirtualTime(provider_latency_s=latency_s, scale=scale, dynamodb_latency_s=dynamodb_latency_s)
    with LocalCloud(provider=FakeProvider(), virtual=virtual) as cloud:
        setup(cloud, N)
        invoker.invocation_counts.clear()
        virtual.at(0)
        yield cloud, virtual


def keys_paid(cloud) -> Counter:
    return Counter(line["idempotency_key"] for line in paid_lines(cloud))


def statuses() -> Counter:
    return Counter(
        e["status"] for i in range(N) for e in entitlements.of(f"P{i:07d}") if e["kind"] == inc.POST_TRAINING
    )


def test_at_1_1000_a_run_takes_the_programme_time_of_the_whole_its_children_side_by_side():
    with stack(latency_s=0.1, scale=1000) as (cloud, virtual):
        report = cloud.run_job(PAYOUT_RUN)
        assert report["outcomes"] == {"paid": N} and report["failed_shards"] == []
        paid = keys_paid(cloud)
        assert len(paid) == N and set(paid.values()) == {1}
        per_payout_s = 2 * 0.1 * 1000  # an inquiry and a transfer, by a 1000-times slower worker
        assert virtual.spent_by_provider_s == pytest.approx(N * per_payout_s)
        took = virtual.since_at()
        # The shards beside each other: far less than all the payouts in a row (16 shards;
        # at least a quarter of that parallelism is left).
        assert 2 * per_payout_s <= took < N * per_payout_s / 4, took
        # The batch is as big as on AWS (its timeout 1000 times longer too): one per shard.
        assert invoker.invocation_counts[PAY_SHARD] == len(report["shards"])
        assert virtual.timeouts == {}


def test_each_dynamodb_request_of_the_run_costs_its_round_trip_on_the_lane_that_made_it():
    """A payout's own table work (claim, SENT, PAID, the budget) is not free on AWS: every
    DynamoDB request spends config.DYNAMODB_CALL_LATENCY, K times over, so the run is longer
    than its provider round trips alone."""
    with stack(latency_s=0.1, scale=1000) as (cloud, virtual):
        cloud.run_job(PAYOUT_RUN)
        provider_only = virtual.since_at()
        assert virtual.dynamodb_calls == 0 and virtual.spent_by_dynamodb_s == 0
    latency = config.DYNAMODB_CALL_LATENCY.total_seconds()
    with stack(latency_s=0.1, scale=1000, dynamodb_latency_s=latency) as (cloud, virtual):
        report = cloud.run_job(PAYOUT_RUN)
        assert report["outcomes"] == {"paid": N}
        # Every payout reads and writes the table several times; each request is charged once.
        assert virtual.dynamodb_calls >= 3 * N, virtual.dynamodb_calls
        assert virtual.spent_by_dynamodb_s == pytest.approx(virtual.dynamodb_calls * latency * 1000)
        assert virtual.as_dict()["dynamodb_calls"] == virtual.dynamodb_calls
        assert virtual.since_at() > provider_only
        assert len(keys_paid(cloud)) == N


def test_a_batch_stops_before_its_timeout_so_a_slow_provider_means_more_batches_not_timeouts():
    latency_s = 100.0  # a provider that takes 100 s a call: 4 payouts fit one invocation
    with stack(latency_s=latency_s, scale=1) as (cloud, virtual):
        report = cloud.run_job(PAYOUT_RUN)
        margin_s = config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT.total_seconds()
        per_batch = int((PAY_SHARD_TIMEOUT_S - margin_s) // (2 * latency_s)) + 1
        assert per_batch == 4
        assert invoker.invocation_counts[PAY_SHARD] >= N / per_batch
        assert report["outcomes"] == {"paid": N} and virtual.timeouts == {}


def test_a_provider_slower_than_the_lambda_timeout_stops_invocations_and_pays_nothing_twice():
    with stack(latency_s=500.0, scale=1) as (cloud, virtual):  # the inquiry fits, the transfer does not
        report = cloud.run_job(PAYOUT_RUN)
        assert virtual.timeouts.get(PAY_SHARD, 0) >= 1
        assert report["outcomes"].get("paid", 0) == 0 and report["failed_shards"]
        assert keys_paid(cloud) == Counter()
        assert statuses()[inc.SENT] >= 1  # marked before the call its invocation never finished

        cloud.provider.latency = 0.1  # the provider is quick again
        cloud.clock.advance(config.SENT_SETTLEMENT_AFTER + timedelta(minutes=1))
        virtual.at(0)
        cloud.run_job(PAYOUT_RUN)
        paid = keys_paid(cloud)
        assert len(paid) == N and set(paid.values()) == {1}  # every key once, the stranded ones too


def test_a_run_longer_than_its_execution_timeout_stops_at_its_deadline_and_the_next_run_goes_on():
    """One child, a provider of an hour a call: 40 payouts would take 80 hours; the run starts
    none after config.PAYOUT_RUN_TIMEOUT less the margin, leaves nothing SENT, and the next
    days' runs pay the rest, each once."""
    with payout_concurrency(1), stack(latency_s=36.0, scale=100) as (cloud, virtual):  # 3,600 s a call
        start = clock.now()
        report = cloud.run_job(PAYOUT_RUN)
        paid_first = report["outcomes"].get("paid", 0)
        per_payout_h = 2.0
        hours = config.PAYOUT_RUN_TIMEOUT.total_seconds() / 3600
        assert hours / per_payout_h - 1 <= paid_first <= hours / per_payout_h + 1, report
        ends = payout_run.stop_at(start)
        assert all(clock.parse(line["at"]) <= ends + timedelta(hours=per_payout_h) for line in paid_lines(cloud))
        assert statuses()[inc.SENT] == 0  # stopped between payouts, none half-done

        for _ in range(4):
            cloud.clock.advance(config.PAYOUT_RUN_INTERVAL)
            virtual.at(0)
            cloud.run_job(PAYOUT_RUN)
        paid = keys_paid(cloud)
        assert len(paid) == N and set(paid.values()) == {1}
