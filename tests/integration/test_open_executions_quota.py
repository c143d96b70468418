"""Step Functions' open-executions quota on the local stack (issue 14, item 4: a quota-faithful
local runtime): AWS refuses StartExecution beyond it (ExecutionLimitExceeded) and moto 5.2.5
does not, so the fidelity patch does. Lowered here to 2, as a scaled-down simulation would:
the third first certificate (which starts the lifecycle, ADR 0015) is recorded and answered
503 with Retry-After, and once an execution has ended the same request (same
Idempotency-Key) completes it."""

from __future__ import annotations

import pytest
from support.lifecycle_steps import BEFORE_0013, buy, complete, open_wave, register

from prakerja.local import moto_patches
from prakerja.local.cloud import LocalCloud
from prakerja.local.moto_patches import fidelity
from prakerja_flow import config
from prakerja_flow.data import participants as profiles
from prakerja_flow.data import purchases
from prakerja_flow.payments.fake import FakeProvider
from prakerja_flow.services import operator


@pytest.fixture
def small_account():
    with LocalCloud(provider=FakeProvider(), open_executions_quota=2) as cloud:
        yield cloud


def certified(cloud, sequence: int) -> str:
    """Registered, bought, finished: the first certificate starts the lifecycle (ADR 0015)."""
    pid = register(cloud, sequence)
    buy(cloud, pid)
    complete(cloud, pid)
    cloud.wait_for_token(pid, "RATING")
    return pid


def third(cloud, pid: str):
    completion = {"training_id": "T1", "certificate_id": "CERT-3"}
    return cloud.http("POST", f"/participants/{pid}/purchases/ORD1/completion", completion, idempotency_key="c3")


def test_beyond_the_quota_the_first_certificate_is_503_and_completes_once_an_execution_ends(small_account):
    cloud = small_account
    open_wave(cloud)
    first, _ = certified(cloud, 1), certified(cloud, 2)
    assert len(cloud.executions("RUNNING")) == 2
    pid = register(cloud, 3)
    buy(cloud, pid)

    status, headers, body = third(cloud, pid)
    assert status == 503 and body["error"]["code"] == "LifecycleNotStarted", body
    assert headers.get("Retry-After") == str(int(config.LIFECYCLE_START_RETRY_AFTER.total_seconds()))
    assert purchases.get(pid, "ORD1")["status"] == "COMPLETED"  # recorded, nothing lost
    assert not profiles.require(pid).get("execution_arn") and len(cloud.executions()) == 2

    operator.cancel_participation(first, "ops:test", "registered with a false identity", cloud.clock())
    cloud.wait_until(lambda: len(cloud.executions("RUNNING")) == 1, what="the cancelled lifecycle to end")
    status, _, body = third(cloud, pid)
    assert status == 200 and body["status"] == "COMPLETED", body
    cloud.wait_for_token(pid, "RATING")
    assert len(cloud.executions("RUNNING")) == 2


def test_starting_an_execution_that_exists_opens_nothing_and_is_not_refused(small_account):
    cloud = small_account
    open_wave(cloud)
    pids = [certified(cloud, 1), certified(cloud, 2)]
    arn = cloud.state_machine_arn
    # The same name and input again (a retried start): AWS returns the execution it has.
    execution = cloud.sfn.describe_execution(executionArn=cloud.execution_arn(pids[0]))
    again = cloud.sfn.start_execution(stateMachineArn=arn, name=pids[0], input=execution["input"])
    assert again["executionArn"] == execution["executionArn"]


def test_moto_alone_starts_beyond_the_quota():
    """What the patch changes: without it the third start succeeds (AWS would refuse it)."""
    with moto_patches.without(fidelity.open_executions_quota):
        with LocalCloud(provider=FakeProvider(), open_executions_quota=2) as cloud:
            open_wave(cloud)
            certified(cloud, 1), certified(cloud, 2)
            pid = register(cloud, 3)
            buy(cloud, pid)
            status, _, body = third(cloud, pid)
            assert status == 200, body
            assert len(cloud.executions("RUNNING")) == 3


def test_a_wave_larger_than_the_quota_wedges_the_design_before_0013_and_not_todays():
    """Issue 14, item 4: the quota-faithful run of both lifecycle designs. Twelve participants,
    room for six executions. Before ADR 0013 (one execution open per participant until the
    last payment) six lifecycles fill the account, the rest are answered 503 and retried,
    and the daily payout run, which needs an execution of its own, is refused every day:
    nobody is paid, ever. Today the lifecycle ends at the grant: the account drains, the
    waiting certificates start their lifecycles, the payout runs start and pay. Money is never paid wrongly
    in either; what the old design breaks is that nothing is paid at all (docs/capacity.md)."""
    from prakerja.simulate import simulate

    before = simulate(12, 3, open_executions_quota=6, lifecycle_asl=BEFORE_0013).as_dict()
    assert before["open_executions_quota"] == 6 and before["completions_deferred"] > 0
    assert before["scheduled_runs_not_started"]["payout-run"] > 100
    assert before["paid_idr"]["total"] == 0 and not before["ok"]
    assert before["executions_by_status"]["RUNNING"] == 6
    assert before["final_states"]["waiting:AwaitPayout"] == 6
    # The rest finished their training but their lifecycle never started: the account stayed full.
    assert before["final_states"]["waiting:FirstCertificate (no execution)"] > 0

    today = simulate(12, 3, open_executions_quota=6).as_dict()
    assert today["open_executions_peak"] == 6 and today["completions_deferred"] > 0  # it was full, too
    assert today["executions_by_status"] == {"SUCCEEDED": 12}  # every certificate got its lifecycle, all ended
    assert today["scheduled_runs_not_started"] == {}  # started at the certificate, the lifecycles leave room
    assert today["paid_idr"]["total"] >= 8 * config.POST_TRAINING_PAYOUT_IDR
    for summary in (before, today):
        money = [v for v in summary["invariant_violations"] if "above" in v or "twice" in v or "statement" in v]
        assert money == [], money
