"""Step Functions' SendTaskSuccess bucket, enforced in virtual time (issue 14, item 4), when
the execution started by a first certificate (ADR 0015) finds its events waiting and hands
them over to itself. Found by `simulate --shape 2020 --scale 1000`: a throttled hand-over
raised in the Await task and failed the execution for good (ExecutionFailed@AwaitCompletion);
now the task keeps waiting on its token and the next deadline sweep delivers the event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.lifecycle_steps import GRANTED, buy, complete, nik, open_wave, payout_account, rate, register

from prakerja.local.cloud import LocalCloud
from prakerja.local.moto_patches.fidelity.rate_buckets import Bucket
from prakerja.local.virtual_time import VirtualTime
from prakerja_flow.data import inbox
from prakerja_flow.payments.fake import FakeProvider


@pytest.fixture
def virtual():
    return VirtualTime(scale=1)


@pytest.fixture
def cloud(virtual):
    with LocalCloud(provider=FakeProvider(), virtual=virtual) as local:
        yield local


def empty(virtual: VirtualTime, api: str) -> None:
    """The account's bucket for `api` spent, refilling too slowly for any retry to help."""
    virtual.buckets[api] = Bucket(size=1, refill=1e-9, tokens=0.0, at=virtual.now())


def test_a_throttled_hand_over_inside_the_execution_keeps_it_waiting_and_the_sweep_resumes_it(cloud, virtual):
    open_wave(cloud)
    pid = register(cloud, 1)
    payout_account(cloud, pid, nik(1))
    buy(cloud, pid)
    empty(virtual, "SendTaskSuccess")

    complete(cloud, pid)  # the first certificate: recorded, and the execution starts
    cloud.settle()
    assert virtual.throttled.get("SendTaskSuccess", 0) >= 1
    execution = cloud.executions()[0]
    assert execution["status"] == "RUNNING"  # before: FAILED, the participant stuck for good
    assert cloud.current_state(pid) == "AwaitTrainingPurchase"
    assert inbox.get(pid, "PURCHASE") is not None  # the event is kept for the sweep

    del virtual.buckets["SendTaskSuccess"]  # the rate recovers: a fresh, full bucket
    cloud.clock.advance(timedelta(days=1))
    report = cloud.run_scheduled()["deadline-sweep"]
    assert report["outcomes"].get("redelivered", 0) >= 1, report
    cloud.wait_for_token(pid, "RATING")
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)


def test_a_throttled_start_answers_503_and_its_retry_starts_the_lifecycle(cloud, virtual):
    open_wave(cloud)
    pid = register(cloud, 2)
    payout_account(cloud, pid, nik(2))
    buy(cloud, pid)
    empty(virtual, "StartExecution")
    body = {"training_id": "T1", "certificate_id": "CERT-ORD1"}
    path = f"/participants/{pid}/purchases/ORD1/completion"

    status, headers, answer = cloud.http("POST", path, body, idempotency_key="cert-2")
    assert status == 503 and answer["error"]["code"] == "LifecycleNotStarted" and "Retry-After" in headers
    assert virtual.throttled == {"StartExecution": 1} and cloud.executions() == []

    del virtual.buckets["StartExecution"]
    status, _, _ = cloud.http("POST", path, body, idempotency_key="cert-2")
    assert status == 200
    cloud.wait_for_token(pid, "RATING")
