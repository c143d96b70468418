"""Operator actions: confirmed, audited, and doing what they say."""

from __future__ import annotations

from support.lifecycle_steps import (
    GRANTED,
    advance_days,
    buy,
    complete,
    open_wave,
    rate,
    register,
    register_started_at_registration,
    trained_and_rated,
)

from prakerja_flow import clock, config
from prakerja_flow.data import audit, controls, entitlements, inbox, workflow


def audit_log(cloud) -> list[dict]:
    return audit.day(clock.iso(cloud.clock())[:10])


def test_wave_open_close_and_payout_pause_resume_are_audited(cloud, ops):
    code, out, _, _ = ops("wave", "open", "3", "--actor", "ani", "--reason", "batch 3 starts", "--yes")
    assert (code, out.strip()) == (0, "wave 3 is OPEN")
    code, _, err, _ = ops("wave", "open", "3", "--actor", "ani", "--reason", "again", "--yes")
    assert code == 1 and err.startswith("prakerja: ") and len(err.strip().splitlines()) == 1
    assert ops("wave", "close", "3", "--actor", "ani", "--reason", "quota reached", "--yes")[0] == 0

    assert ops("payouts", "pause", "--actor", "budi", "--reason", "provider incident")[0] == 1  # declined (no input)
    assert controls.get_pause() is None
    code, _, _, _ = ops("payouts", "pause", "--actor", "budi", "--reason", "provider incident", input="y\n")
    assert code == 0 and controls.get_pause()["paused"] is True
    assert ops("payouts", "resume", "--actor", "budi", "--reason", "incident over", "--yes")[0] == 0
    assert controls.get_pause()["paused"] is False

    log = sorted((a["actor"], a["action"], a["reason"]) for a in audit_log(cloud))  # same second: uuid order
    assert log == sorted(
        [
            ("ani", "wave.open", "batch 3 starts"),
            ("ani", "wave.close", "quota reached"),
            ("budi", "payouts.pause", "provider incident"),
            ("budi", "payouts.resume", "incident over"),
        ]
    )


def test_actions_require_actor_and_reason(cloud, ops):
    code, _, err, _ = ops("payouts", "pause", "--reason", "x", "--yes")
    assert code == 2 and "--actor" in err
    assert ops("wave", "open", "1", "--actor", "x", "--yes")[0] == 2


def test_paused_payouts_pay_nothing_until_resumed(cloud, ops):
    open_wave(cloud)
    pid = trained_and_rated(cloud, 11)
    ops("payouts", "pause", "--actor", "budi", "--reason", "incident", "--yes")
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)
    assert entitlements.get(pid, "POST_TRAINING", 1)["status"] == "SCHEDULED"
    ops("payouts", "resume", "--actor", "budi", "--reason", "over", "--yes")
    advance_days(cloud, 1)
    assert entitlements.get(pid, "POST_TRAINING", 1)["status"] == "PAID"


def test_cancel_after_the_grant_cancels_unpaid_entitlements(cloud, ops):
    """The lifecycle ended at the grant (ADR 0013): the cancellation has no execution to end,
    and what it stops is the money: every unpaid entitlement is CANCELLED."""
    open_wave(cloud)
    pid = trained_and_rated(cloud, 12)
    cloud.wait_for_end(pid, GRANTED)
    code, out, _, _ = ops("cancel", pid, "--actor", "citra", "--reason", "fraud report 9", "--yes")
    assert code == 0, out
    cloud.settle()
    statuses = {(e["kind"], e["sequence"]): e["status"] for e in entitlements.of(pid)}
    assert set(statuses.values()) == {"CANCELLED"} and len(statuses) == 7
    assert [e["name"] for e in cloud.executions("SUCCEEDED")] == [pid] and cloud.current_state(pid) == GRANTED
    code, _, _, report = ops("participant", pid, "--json")
    assert report["status"] == "CANCELLED" and report["diagnosis"] == "participation cancelled"
    listed = ops("executions", "--json")[3]["executions"]
    assert [(r["participant_id"], r["state"]) for r in listed] == [(pid, GRANTED)]  # where it really ended
    assert {e["cancelled_reason"] for e in report["entitlements"]} == {"fraud report 9"}
    text = ops("participant", pid)[1]  # each cancelled entitlement says why
    lines = [line for line in text.splitlines() if line.startswith("entitlement")]
    assert len(lines) == 7 and all(line.endswith("  fraud report 9") for line in lines), lines
    assert ("citra", "participant.cancel") in [(a["actor"], a["action"]) for a in audit_log(cloud)]
    code, _, err, _ = ops("cancel", pid, "--actor", "citra", "--reason", "again", "--yes")
    assert code == 1 and "not ACTIVE" in err
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)
    assert cloud.provider.statement_lines() == []  # nothing paid after the stop


def test_cancel_while_waiting_for_completion(cloud, ops):
    open_wave(cloud)
    pid = register_started_at_registration(cloud, 13)
    buy(cloud, pid)
    cloud.wait_for_token(pid, "COMPLETION")
    assert ops("cancel", pid, "--actor", "c", "--reason", "r", "--yes")[0] == 0
    cloud.settle()
    cloud.wait_for_state(pid, "ParticipationCancelled")


def test_retry_refuses_what_did_not_fail(cloud, ops):
    open_wave(cloud)
    pid = register(cloud, 14)
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    code, _, err, _ = ops("retry", pid, "POST_TRAINING", "1", "--actor", "a", "--reason", "r", "--yes")
    assert code == 1 and err == "prakerja: POST_TRAINING 1 is SCHEDULED, not FAILED: nothing to retry\n"


def test_failed_execution_history_then_redrive_resumes_where_it_failed(cloud, ops, tmp_path):
    open_wave(cloud)
    pid = register_started_at_registration(cloud, 15)
    code, _, err, _ = ops("redrive", pid, "--actor", "a", "--reason", "r", "--yes")
    assert (code, err) == (1, "prakerja: execution is RUNNING, not FAILED: nothing to redrive\n")
    workflow.send_failure(inbox.get_token(pid, "PURCHASE"), "Boom", "an error the lifecycle does not catch")
    cloud.wait_until(lambda: cloud.executions("FAILED"), what="the execution to fail")
    code, _, _, hist = ops("history", pid, "--json", "--graph", str(tmp_path / "failed.svg"))
    assert code == 1 and hist["failed_state"] == "AwaitTrainingPurchase"
    assert any(line.get("error") == "Boom" for line in hist["timeline"])
    assert 'class="state visited failed" data-state="AwaitTrainingPurchase"' in (tmp_path / "failed.svg").read_text()

    code, out, err, _ = ops("redrive", pid, "--actor", "sari", "--reason", "platform fixed its callback", "--yes")
    assert (code, err) == (0, "") and out.startswith("redriven at ")
    cloud.wait_until(lambda: inbox.get_token(pid, "PURCHASE") is not None, what="the purchase wait to start again")
    assert [e["status"] for e in cloud.executions()] == ["RUNNING"]
    buy(cloud, pid)
    cloud.wait_for_token(pid, "COMPLETION")
    code, _, _, hist = ops("history", pid, "--json")
    assert code == 0 and hist["current_state"] == "AwaitCompletion" and hist["failed_state"] is None
    assert [line["redrive_count"] for line in hist["timeline"] if line["what"] == "redriven"] == [1]
    # the states before the failed one are not run again
    assert hist["path"].count("RegistrationAccepted") == 1 and hist["path"].count("AwaitTrainingPurchase") == 2
    assert [(a["actor"], a["reason"]) for a in audit_log(cloud) if a["action"] == "execution.redrive"] == [
        ("sari", "platform fixed its callback")
    ]
    code, _, err, _ = ops("redrive", pid, "--actor", "a", "--reason", "r", "--yes")
    assert (code, err) == (1, "prakerja: execution is RUNNING, not FAILED: nothing to redrive\n")
