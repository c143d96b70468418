"""A platform's event (purchase, completion, rating) that Step Functions throttles when we
hand it to the waiting execution: the platform's request still succeeds (the event is
recorded), the event waits in the inbox queued for the deadline sweep, and the next sweep
delivers it, so the lifecycle goes on without anyone sending the request again (issue 14,
item 2: never a lost resume). Before, the request answered 500 and the platform's retry
was refused as a duplicate: the lifecycle waited for good."""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import ClientError
from support.lifecycle_steps import (
    GRANTED,
    buy,
    complete,
    nik,
    open_wave,
    payout_account,
    rate,
    register,
    register_started_at_registration,
)

from prakerja_flow.data import inbox, schema, workflow


class ThrottlesHandOvers:
    """Step Functions answering SendTaskSuccess with ThrottlingException the first `times` times."""

    def __init__(self, inner, times: int):
        self.inner, self.left, self.refused = inner, times, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send_task_success(self, **kwargs):
        if self.left:
            self.left -= 1
            self.refused += 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTaskSuccess")
        return self.inner.send_task_success(**kwargs)


def throttle(monkeypatch, times: int) -> ThrottlesHandOvers:
    # Past botocore's own retries (standard mode): what reaches our code is still refused.
    throttling = ThrottlesHandOvers(workflow.client(), times)
    monkeypatch.setattr(workflow, "client", lambda: throttling)
    return throttling


def next_sweep(cloud) -> dict:
    cloud.clock.advance(timedelta(days=1))
    return cloud.run_scheduled()["deadline-sweep"]


def test_a_throttled_purchase_event_is_recorded_answered_and_delivered_by_the_next_sweep(cloud, monkeypatch):
    open_wave(cloud)
    pid = register_started_at_registration(cloud, 1)  # an execution waiting for the purchase
    payout_account(cloud, pid, nik(1))
    throttling = throttle(monkeypatch, 1)

    buy(cloud, pid)  # 201: the purchase is recorded whatever Step Functions says now
    assert throttling.refused == 1
    waiting = inbox.get(pid, "PURCHASE")
    assert waiting is not None and waiting[schema.GSI1_PK].startswith(schema.Q_DEADLINES)
    cloud.settle()
    assert cloud.current_state(pid) == "AwaitTrainingPurchase"  # not told yet

    report = next_sweep(cloud)
    assert report["outcomes"].get("redelivered") == 1, report
    assert inbox.get(pid, "PURCHASE") is None
    cloud.wait_for_token(pid, "COMPLETION")  # the lifecycle went on
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)


def test_a_sweep_throttled_again_keeps_the_event_queued_for_the_one_after(cloud, monkeypatch):
    open_wave(cloud)
    pid = register_started_at_registration(cloud, 2)  # an execution waiting for the certificate
    payout_account(cloud, pid, nik(2))
    buy(cloud, pid)
    cloud.wait_for_token(pid, "COMPLETION")
    throttling = throttle(monkeypatch, 2)

    complete(cloud, pid)
    report = next_sweep(cloud)
    assert throttling.refused == 2 and report["outcomes"].get("redelivery_throttled") == 1, report
    assert inbox.get(pid, "COMPLETION")[schema.GSI1_PK].startswith(schema.Q_DEADLINES)

    report = next_sweep(cloud)
    assert report["outcomes"].get("redelivered") == 1, report
    cloud.wait_for_token(pid, "RATING")


def test_an_event_nobody_waits_for_leaves_the_sweeps_queue_and_stays_for_the_execution(cloud):
    """Queued for redelivery, but the token went (the execution moved on or ended another
    way): the sweep takes it out of its queue instead of reading it every day."""
    open_wave(cloud)
    pid = register(cloud, 3)
    inbox.put(pid, "SOMETHING", {"x": 1}, cloud.clock(), redeliver=True)
    report = next_sweep(cloud)
    assert report["outcomes"].get("left_for_the_execution") == 1, report
    left = inbox.get(pid, "SOMETHING")
    assert left is not None and schema.GSI1_PK not in left
    assert "left_for_the_execution" not in next_sweep(cloud)["outcomes"]
