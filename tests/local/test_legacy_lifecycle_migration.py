"""ADR 0013's migration: executions started on the definition before it (the payout loop,
AwaitPayout/MorePayouts/AwaitSurveysSettled) still finish, side by side with new ones.

AWS runs an execution on the definition it started with; an update of the state machine
only changes new executions. So on the day of the deploy some lifecycles wait for PAYOUT#n
tokens that the payout run must still deliver, while new ones ended at IncentivesGranted and
must get no SendTaskSuccess at all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from support.lifecycle_steps import (
    BEFORE_0013,
    GRANTED,
    advance_days,
    buy,
    complete,
    nik,
    open_wave,
    paid_lines,
    payout_account,
    rate,
    register,
    survey,
    trained_and_rated,
    view,
)
from support.throttling import throttled_send_task_success

from prakerja.local.cloud import LocalCloud
from prakerja_flow import catalogue, config
from prakerja_flow.data import entitlements, inbox
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain.vocabulary import LegacyLifecycleState
from prakerja_flow.payments.fake import FakeProvider


@pytest.fixture
def cloud():
    with LocalCloud(provider=FakeProvider()) as local:
        yield local


def deploy_definition(cloud: LocalCloud, asl: Path) -> None:
    machine = catalogue.StateMachineSpec(
        key=catalogue.LIFECYCLE.key,
        name=catalogue.LIFECYCLE.name,
        asl=asl,
        description=catalogue.LIFECYCLE.description,
        timeout=catalogue.LIFECYCLE.timeout,
    )
    cloud.sfn.update_state_machine(
        stateMachineArn=cloud.state_machine_arn, definition=catalogue.render_asl(cloud.arn_of, machine)
    )


def send_task_success_calls(cloud: LocalCloud, pid: str) -> int:
    """How often the payout run resumed this participant's execution: each resume is a
    waitForTaskToken state that exited."""
    return sum(
        1
        for e in cloud.history(pid)
        if e["type"] == "TaskStateExited"
        and e["stateExitedEventDetails"]["name"]
        in (LegacyLifecycleState.AWAIT_PAYOUT, LegacyLifecycleState.AWAIT_SURVEYS_SETTLED)
    )


def all_surveys(cloud: LocalCloud, *pids: str) -> None:
    """Each survey, for every participant, on the first programme day it is open."""
    for sequence in range(1, config.SURVEY_COUNT + 1):
        waiting = list(pids)
        for _ in range(120):
            for pid in list(waiting):
                status, body = survey(cloud, pid, sequence)
                if status == 201:
                    waiting.remove(pid)
                else:
                    assert body["error"]["code"] == "SurveyNotOpen", body
            if not waiting:
                break
            advance_days(cloud, 1)
        else:
            raise AssertionError(f"survey {sequence} never opened for {waiting}")


def test_a_lifecycle_started_before_0013_finishes_beside_one_started_after(cloud):
    open_wave(cloud)
    deploy_definition(cloud, BEFORE_0013)
    legacy = trained_and_rated_legacy(cloud, sequence=1)
    deploy_definition(cloud, catalogue.LIFECYCLE.asl)
    new = trained_and_rated(cloud, sequence=2)

    all_surveys(cloud, legacy, new)
    advance_days(cloud, 100)

    for pid in (legacy, new):
        final = view(cloud, pid)
        assert {e["status"] for e in final["entitlements"]} == {inc.PAID}
        assert final["cash_paid_idr"] == config.CASH_INCENTIVE_CAP_IDR
    assert len(paid_lines(cloud)) == 2 * (config.POST_TRAINING_PAYOUT_COUNT + config.SURVEY_COUNT)

    # The legacy execution got its four PAYOUT resumes and the surveys' one, and finished as
    # it always did; the new one ended at the grant and was never resumed.
    cloud.wait_for_end(legacy, LegacyLifecycleState.LIFECYCLE_COMPLETE, timeout=30)
    assert send_task_success_calls(cloud, legacy) == config.POST_TRAINING_PAYOUT_COUNT + 1
    assert cloud.current_state(new) == GRANTED
    assert send_task_success_calls(cloud, new) == 0
    assert cloud.history(new)[-1]["type"] == "ExecutionSucceeded"


def trained_and_rated_legacy(cloud: LocalCloud, sequence: int) -> str:
    """As trained_and_rated, but the old definition waits at AwaitPayout after the grant."""
    pid = register(cloud, sequence)
    payout_account(cloud, pid, nik(sequence), number=f"0812{sequence:08d}")
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_token(pid, "PAYOUT#1")
    assert cloud.current_state(pid) == LegacyLifecycleState.AWAIT_PAYOUT
    return pid


def test_a_throttled_legacy_resume_is_never_lost_the_next_run_resumes(cloud, monkeypatch):
    """SendTaskSuccess refused for its rate even after botocore's retries: the payout stays
    PAID (paid once), its event goes back to the inbox and the entitlement stays queued, so
    the next run resumes the legacy execution without paying again."""
    open_wave(cloud)
    deploy_definition(cloud, BEFORE_0013)
    pid = trained_and_rated_legacy(cloud, sequence=3)
    cloud.clock.advance(config.FIRST_PAYOUT_DELAY + timedelta(hours=1))
    refused, restore = throttled_send_task_success(monkeypatch)
    report = cloud.run_job("payout-run")
    assert report["outcomes"] == {"paid": 1, "resume_later": 1} and report["failed_shards"] == []
    first = entitlements.get(pid, inc.POST_TRAINING, 1)
    assert first["status"] == inc.PAID and cloud.current_state(pid) == LegacyLifecycleState.AWAIT_PAYOUT
    assert inbox.get(pid, "PAYOUT#1") is not None  # the event waits in the inbox

    assert len(refused) >= 1
    restore()
    report = cloud.run_job("payout-run")
    assert report["outcomes"] == {"resumed": 1}
    cloud.wait_for_token(pid, "PAYOUT#2")
    assert len(paid_lines(cloud)) == 1
