"""The payout run as a state machine on moto's interpreter (statemachines/payout_run.asl.json,
the real handlers in process): a throttled child is retried, a failing child leaves its shard
to the next run while the others pay, a paused programme starts no child, and every payment
is made once and names the execution that sent it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from support.lifecycle_steps import GRANTED, open_wave, paid_lines, trained_and_rated
from support.throttling import throttled_send_task_success

from prakerja_flow import config
from prakerja_flow.data import controls, entitlements, keys, schema
from prakerja_flow.domain import incentives as inc
from prakerja_flow.services import payout_run

PAYOUT_RUN = "payout-run"


def due(cloud, sequences) -> list[str]:
    open_wave(cloud)
    pids = [trained_and_rated(cloud, s) for s in sequences]
    cloud.clock.advance(config.FIRST_PAYOUT_DELAY + timedelta(hours=1))
    return pids


def history(cloud) -> list[dict]:
    arn = cloud.last_execution[PAYOUT_RUN]
    pages = cloud.sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [e for page in pages for e in page["events"]]


def entered(events: list[dict], state: str) -> int:
    return sum(
        1 for e in events if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == state
    )


def first(pid: str) -> dict:
    return entitlements.get(pid, inc.POST_TRAINING, 1)


def test_a_throttled_shard_invocation_is_retried_and_pays_once(cloud, monkeypatch):
    (pid,) = due(cloud, [1])
    real = payout_run.pay_batch
    # What Step Functions reports when Lambda throttles the invocation: the ASL retries it.
    throttled = type("Lambda.TooManyRequestsException", (Exception,), {})
    calls = {"n": 0}

    def throttled_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise throttled("Rate Exceeded.")
        return real(*args, **kwargs)

    monkeypatch.setattr(payout_run, "pay_batch", throttled_once)
    report = cloud.run_job(PAYOUT_RUN)
    assert report["outcomes"] == {"paid": 1} and report["failed_shards"] == []
    events = history(cloud)
    assert [e["type"] for e in events].count("LambdaFunctionFailed") == 1 and calls["n"] == 2
    assert entered(events, "ShardFailed") == 0
    assert first(pid)["status"] == inc.PAID and len(paid_lines(cloud)) == 1


def test_a_failing_child_leaves_its_shard_to_the_next_run_and_the_others_pay(cloud, monkeypatch):
    pids = due(cloud, [1, 2, 3, 4, 5, 6])
    shards = {pid: keys.shard_of(pid) for pid in pids}
    broken = shards[pids[0]]
    real = payout_run.pay_batch

    def shard_broken(state, *args, **kwargs):
        if int(state["shard"]) == broken:
            raise KeyError("a bug in this shard's data")
        return real(state, *args, **kwargs)

    monkeypatch.setattr(payout_run, "pay_batch", shard_broken)
    report = cloud.run_job(PAYOUT_RUN)
    assert report["failed_shards"] == [broken] and report["shard_errors"] == {str(broken): "KeyError"}
    assert sorted(report["shards"]) == sorted(set(shards.values()))
    waiting = [pid for pid in pids if shards[pid] == broken]
    assert report["outcomes"] == {"paid": len(pids) - len(waiting)}
    for pid in pids:
        assert first(pid)["status"] == (inc.PAID if pid not in waiting else inc.SCHEDULED), pid
    assert entered(history(cloud), "ShardFailed") == 1

    monkeypatch.setattr(payout_run, "pay_batch", real)  # fixed: the next run pays the rest
    report = cloud.run_job(PAYOUT_RUN)
    assert report["shards"] == [broken] and report["outcomes"] == {"paid": len(waiting)}
    keys_paid = Counter(line["idempotency_key"] for line in paid_lines(cloud))
    assert len(keys_paid) == len(pids) and set(keys_paid.values()) == {1}
    runs = {first(pid)["sent_by_run"] for pid in pids}
    assert len(runs) == 2 and cloud.last_execution[PAYOUT_RUN].rsplit(":", 1)[1] in runs  # two runs paid them


def test_a_paused_programme_starts_no_child(cloud):
    (pid,) = due(cloud, [1])
    controls.set_pause(True, "ani", "incident", cloud.clock())
    report = cloud.run_job(PAYOUT_RUN)
    assert report["paused"] is True and report["shards"] == [] and report["outcomes"] == {}
    events = history(cloud)
    assert entered(events, "PayoutsPaused") == 1 and entered(events, "PayShard") == 0
    assert first(pid)["status"] == inc.SCHEDULED and paid_lines(cloud) == []


def test_children_run_side_by_side_up_to_the_configured_concurrency(cloud, monkeypatch):
    """With a slow provider (its round trips spent outside the invocation lock, as other
    Lambda environments would run meanwhile), children of different shards overlap; with a
    concurrency of 1 they never do. Counted, not timed."""
    import threading

    pids = due(cloud, range(1, 9))
    assert len({keys.shard_of(pid) for pid in pids}) >= 4
    in_flight = {"now": 0, "max": 0}
    lock = threading.Lock()
    wait = cloud.provider.wait

    def counting_wait(seconds: float) -> None:
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        try:
            wait(seconds)
        finally:
            with lock:
                in_flight["now"] -= 1

    cloud.provider.wait = counting_wait
    cloud.provider.latency = 0.05
    monkeypatch.setattr(config, "PAYOUT_RUN_MAX_CONCURRENCY", 1)
    report = cloud.run_job(PAYOUT_RUN)
    assert report["outcomes"] == {"paid": len(pids)} and in_flight["max"] == 1

    more = [trained_and_rated(cloud, s) for s in range(9, 17)]
    cloud.clock.advance(config.FIRST_PAYOUT_DELAY + timedelta(hours=1))
    monkeypatch.setattr(config, "PAYOUT_RUN_MAX_CONCURRENCY", config.QUEUE_SHARDS)
    report = cloud.run_job(PAYOUT_RUN)
    assert report["outcomes"] == {"paid": len(more)} and in_flight["max"] >= 2
    assert len(paid_lines(cloud)) == len(pids) + len(more)


def test_a_payment_resumes_no_execution_so_a_throttled_step_functions_changes_nothing(cloud, monkeypatch):
    """Since ADR 0013 the lifecycle ended at the grant: the payout run pays from the
    entitlement and calls SendTaskSuccess for nobody, so Step Functions' SendTaskSuccess
    bucket is no longer spent on payouts (the legacy resume: test_legacy_lifecycle_migration)."""
    (pid,) = due(cloud, [1])
    cloud.wait_for_end(pid, GRANTED)
    refused, _ = throttled_send_task_success(monkeypatch)
    report = cloud.run_job(PAYOUT_RUN)
    assert report["outcomes"] == {"paid": 1} and report["failed_shards"] == []
    assert refused == []  # not even tried
    assert first(pid)["status"] == inc.PAID and schema.GSI1_PK not in first(pid)  # paid and out of the queue
    assert len(paid_lines(cloud)) == 1
