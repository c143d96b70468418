"""Issue 18's rough edges of the runbook, in-process: bad filters are usage errors,
connection options before the command, payouts status and what a pause means for one
person, the audit log, never-paid and payout-failed filters, CSV, who cancelled and why,
and reconciliation of a provider statement."""

from __future__ import annotations

import csv
import io
import json

from support.lifecycle_steps import (
    GRANTED,
    advance_days,
    nik,
    open_wave,
    payout_account,
    register,
    register_started_at_registration,
    trained_and_rated,
)

from prakerja_flow import config


def test_an_unknown_state_status_or_wave_is_bad_usage_naming_the_valid_values(cloud, ops):
    open_wave(cloud)
    code, out, err, _ = ops("executions", "--state", "AwaitRatng")
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert err.startswith("prakerja: unknown state 'AwaitRatng'; states: ") and "AwaitRating" in err
    code, out, err, _ = ops("executions", "--wave", "9")
    assert (code, out, err) == (2, "", "prakerja: unknown wave 9; waves: 1\n")
    assert ops("executions", "--status", "RUNING")[0] == 2
    assert ops("executions", "--wave", "1", "--json")[0] == 0  # a wave that exists answers


def test_connection_options_may_come_before_the_command(cloud, ops):
    code, _, err, _ = ops("--table", "nope-table", "executions")
    assert code == 1 and "nope-table" in err
    code, _, err, _ = ops(
        "--table", "nope-table", "executions", "--table", "prakerja-flow"
    )  # the command's option wins
    assert code == 0, err


def test_payouts_status_and_a_paused_participant_is_told_so(cloud, ops):
    open_wave(cloud)
    open_wave(cloud, 2)
    pid = trained_and_rated(cloud, 31)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days - 1)
    code, _, _, status = ops("payouts", "status", "--json")
    assert code == 0 and not status["paused"] and status["budget"]["committed_idr"] == 0
    assert status["queue"]["scheduled_later"] >= 1

    assert ops("payouts", "pause", "--actor", "budi", "--reason", "provider incident", "--yes")[0] == 0
    advance_days(cloud, 2)  # payout 1 falls due while paused
    code, _, _, report = ops("participant", pid, "--json")
    assert code == 0 and report["payouts_paused"]["scope"] == "programme"
    assert (
        report["diagnosis"].startswith("payouts paused programme-wide since ")
        and "by budi (provider incident)" in report["diagnosis"]
    )
    assert "prakerja ops payouts resume" in report["diagnosis"] and report["diagnosis"].endswith(
        "is due on " + report["entitlements"][0]["due_at"][:10]
    )
    assert report["entitlements"][0]["paused"] is True
    _, text, _, _ = ops("participant", pid)
    assert "payouts       PAUSED programme-wide" in text and "SCHEDULED PAUSED" in text
    code, text, _, status = ops("payouts", "status", "--json")
    assert status["paused"] and status["programme_pause"]["actor"] == "budi" and status["queue"]["due"]["count"] == 1
    assert status["queue"]["due"]["amount_idr"] == config.POST_TRAINING_PAYOUT_IDR
    assert "PAUSED programme-wide" in ops("payouts", "status")[1]

    # programme resumed, its wave paused: still held, and said so for the wave
    assert ops("payouts", "pause", "--wave", "1", "--actor", "budi", "--reason", "wave 1 audit", "--yes")[0] == 0
    assert ops("payouts", "resume", "--actor", "budi", "--reason", "incident over", "--yes")[0] == 0
    advance_days(cloud, 1)
    code, _, _, report = ops("participant", pid, "--json")
    assert report["entitlements"][0]["status"] != "PAID" and report["payouts_paused"]["scope"] == "wave"
    assert "payouts paused for wave 1" in report["diagnosis"] and "--wave 1`" in report["diagnosis"]
    _, _, _, status = ops("payouts", "status", "--json")
    assert status["paused_waves"] == [1] and not status["paused"]
    assert ops("payouts", "resume", "--wave", "1", "--actor", "budi", "--reason", "audit done", "--yes")[0] == 0
    advance_days(cloud, 1)
    code, _, _, report = ops("participant", pid, "--json")
    assert report["payouts_paused"] is None and report["entitlements"][0]["status"] == "PAID"
    assert [p["paid"] for p in report["paid_by"]] == [["POST_TRAINING 1"]]
    # The execution that paid: the payout run that sent it, one command away.
    assert report["paid_by"][0]["workflow"] == "payout-run"
    assert report["paid_by"][0]["execution_arn"] == cloud.last_execution["payout-run"]
    assert f"paid by       payout-run {cloud.last_execution['payout-run']}" in ops("participant", pid)[1]
    # ...and the runs themselves, newest first: the one that paid, the paused ones before it.
    code, text, _, runs = ops("payouts", "runs", "--limit", "3", "--json")
    newest = runs["runs"][0]
    assert code == 0 and newest["execution_arn"] == cloud.last_execution["payout-run"]
    assert (newest["status"], newest["paid"], newest["paid_idr"], newest["failed_shards"]) == (
        "SUCCEEDED",
        1,
        config.POST_TRAINING_PAYOUT_IDR,
        [],
    )
    assert len(newest["shards"]) == 1 and runs["runs"][1]["paid"] == 0
    text = ops("payouts", "runs", "--limit", "1")[1]
    assert "SUCCEEDED paid 1 (Rp600,000) from 1 shards" in text and newest["execution_arn"] in text
    assert ops("payouts", "status", "--json")[3]["budget"]["paid_idr"] == config.POST_TRAINING_PAYOUT_IDR


def test_audit_log_by_day_actor_and_participant_as_text_json_and_csv(cloud, ops):
    open_wave(cloud)
    pid = register_started_at_registration(cloud, 32)
    ops("payouts", "pause", "--actor", "ani", "--reason", "drill", "--yes")
    ops("cancel", pid, "--actor", "citra", "--reason", "fraud report 9", "--yes")
    code, _, _, log = ops("audit", "--json")
    assert code == 0 and [e["action"] for e in log["entries"]] == ["wave.open", "payouts.pause", "participant.cancel"]
    assert [e["actor"] for e in ops("audit", "--json", "--actor", "citra")[3]["entries"]] == ["citra"]
    mine = ops("audit", "--json", "--participant", nik(32))[3]["entries"]  # by NIK too
    assert [(e["action"], e["reason"]) for e in mine] == [("participant.cancel", "fraud report 9")]
    code, out, _, _ = ops("audit", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["action"] for r in rows] == ["wave.open", "payouts.pause", "participant.cancel"]
    assert rows[2]["participant_id"] == pid and json.loads(rows[2]["details"])["participant_id"] == pid
    assert ops("audit", "--day", "2019-01-01", "--json")[3]["count"] == 0
    assert (
        ops("audit", "--day", "yesterday")[0] == 2
        and ops("audit", "--since", "2020-01-01", "--until", "2022-01-01")[0] == 2
    )

    code, text, _, report = ops("participant", pid, "--json")
    assert report["cancellation"]["by"] == "citra" and report["cancellation"]["reason"] == "fraud report 9"
    assert "cancelled     by citra at " in ops("participant", pid)[1]
    history = ops("history", pid, "--json")[3]["timeline"]
    assert [(line["type"], line["actor"]) for line in history if line["source"] == "audit"] == [
        ("participant.cancel", "citra")
    ]


def test_never_paid_and_payout_failed_filters_and_csv(cloud, ops):
    open_wave(cloud)
    paid = trained_and_rated(cloud, 33)
    unverified = register(cloud, 34)
    payout_account(cloud, unverified, nik(34), verified=False, number="081200000034")
    from support.lifecycle_steps import buy, complete, rate

    buy(cloud, unverified)
    complete(cloud, unverified)
    rate(cloud, unverified)
    cloud.wait_for_end(unverified, GRANTED)
    waiting = register_started_at_registration(cloud, 35)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)

    never = {r["participant_id"] for r in ops("executions", "--json", "--never-paid")[3]["executions"]}
    assert never == {unverified, waiting}
    failed = ops("executions", "--json", "--payout-failed")[3]
    assert [r["participant_id"] for r in failed["executions"]] == [unverified] and failed["matched"] == 1
    code, out, _, _ = ops("executions", "--csv", "--never-paid")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {r["participant_id"] for r in rows} == never and {r["cash_paid_idr"] for r in rows} == {"0"}
    assert paid not in out


def test_reconcile_a_statement_clean_then_with_a_payment_we_never_booked(cloud, ops, tmp_path):
    open_wave(cloud)
    pid = trained_and_rated(cloud, 36)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)
    statement = tmp_path / "statement.jsonl"
    lines = cloud.provider.statement_lines()
    statement.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, text, _, _ = ops("reconcile", "--statement", str(statement))
    assert code == 0 and text.strip().endswith("clean"), text
    forged = {
        **lines[0],
        "transfer_id": "TX-FORGED",
        "idempotency_key": f"{pid}:SURVEY:1",
        "kind": "SURVEY",
        "sequence": 1,
        "amount_idr": config.SURVEY_PAYMENT_IDR,
    }
    statement.write_text("".join(json.dumps(line) + "\n" for line in [*lines, forged]))
    code, _, _, report = ops("reconcile", "--statement", str(statement), "--json")
    assert code == 1 and [m["kind"] for m in report["mismatches"]] == ["paid_not_in_ledger"]
    assert "TX-FORGED" in report["mismatches"][0]["detail"]
    statement.write_text("not json\n")
    code, _, err, _ = ops("reconcile", "--statement", str(statement))
    assert code == 2 and "line 1 is not JSON" in err


def test_actor_and_reason_follow_the_apis_text_rules(cloud, ops):
    code, _, err, _ = ops("payouts", "pause", "--actor", "ani", "--reason", "   ", "--yes")
    assert code == 2 and err.startswith("prakerja: --reason: a reason may not be empty")
    code, _, err, _ = ops("payouts", "pause", "--actor", "ani\u202e", "--reason", "x", "--yes")
    assert code == 2 and "RIGHT-TO-LEFT OVERRIDE" in err
