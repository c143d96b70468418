"""The console's pages say what `prakerja ops` says (one code path), and its actions do and
audit what the CLI's do, only after a reason and a second screen."""

from __future__ import annotations

import csv
import io
import json
import re

from console_world import Client, console
from typer.testing import CliRunner

from prakerja.cli import app as cli
from prakerja_flow import clock
from prakerja_flow.data import audit, controls, entitlements


def ops(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["ops", *args])
    return result.exit_code, (json.loads(result.stdout) if "--json" in args else result.stdout)


def text(page) -> str:
    return page.get_data(as_text=True)


def test_the_participant_page_says_what_ops_participant_says(client, local_world):
    for pid in (local_world.paid, local_world.failed, local_world.rating, local_world.waiting, local_world.cancelled):
        _, report = ops("participant", pid, "--json")
        page = text(client.get(f"/participants/{pid}"))
        diagnosis = re.search(r'<p class="diagnosis" id="diagnosis"><strong>Diagnosis:</strong> ([^<]*)</p>', page)[1]
        assert diagnosis == report["diagnosis"].replace("'", "&#39;"), pid
    failed = text(client.get(f"/participants/{local_world.failed}"))
    assert "is not KYC-verified" in failed and 'data-action="entitlement.retry"' in failed
    # The graph, with where the lifecycle is now: it ended at the grant (ADR 0013); the payout
    # run pays (and here failed to pay) from the entitlements, with no state left to wait in.
    assert 'Execution <span class="ok">SUCCEEDED</span>' in failed
    assert '<strong id="current-state">IncentivesGranted</strong>' in failed
    assert 'class="state visited" data-state="IncentivesGranted"' in failed and "visited current" not in failed
    assert 'class="edge taken" data-from="AwaitRating" data-to="CheckRating"' in failed
    assert 'class="edge taken" data-from="GrantIncentives" data-to="IncentivesGranted"' in failed
    paid = text(client.get(f"/participants/{local_world.paid}"))
    # The execution that paid: the payout run that sent it (a state machine of its own).
    assert 'id="paid-by"' in paid and "POST_TRAINING 1" in paid and ":execution:payout-run:" in paid
    assert "(payout-run)" in paid
    cancelled = text(client.get(f"/participants/{local_world.cancelled}"))
    assert "Cancelled by citra" in cancelled and "fraud report 9" in cancelled
    assert re.search(
        r"<td>[^<]*</td><td>citra</td><td>participant.cancel</td><td>fraud report 9</td>", cancelled
    )  # audit trail
    rating = text(client.get(f"/participants/{local_world.rating}"))
    assert 'class="state visited current" data-state="AwaitRating"' in rating  # a running one: where it waits
    timeline = re.search(r'<table id="timeline">.*?</table>', rating, re.S)[0]
    assert "entered AwaitRating" in timeline and "TRAINING_PURCHASE" in timeline and "2020-07-01" in timeline
    assert client.get("/participants/PNOBODY").status_code == 404


def test_executions_filters_csv_and_bad_filters(client, local_world):
    page = text(client.get("/executions?state=AwaitRating"))
    assert local_world.rating in page and local_world.failed not in page and "1 matched of 5 executions" in page
    never = text(client.get("/executions?never_paid=1"))
    assert local_world.paid not in never and all(
        p in never for p in (local_world.failed, local_world.rating, local_world.waiting)
    )
    failed = text(client.get("/executions?payout_failed=1"))
    assert local_world.failed in failed and "1 matched" in failed
    assert local_world.waiting in text(client.get("/executions?wave=2")) and "1 matched" in text(
        client.get("/executions?wave=2")
    )
    # Both granted lifecycles ended at IncentivesGranted (ADR 0013), paid or not.
    _, cli = ops("executions", "--json", "--state", "IncentivesGranted")
    assert {r["participant_id"] for r in cli["executions"]} == {local_world.failed, local_world.paid}
    assert f"{cli['matched']} matched" in text(client.get("/executions?state=IncentivesGranted"))
    rows = list(csv.DictReader(io.StringIO(text(client.get("/executions.csv?never_paid=1")))))
    assert {r["participant_id"] for r in rows} >= {
        local_world.failed,
        local_world.waiting,
    } and local_world.paid not in {r["participant_id"] for r in rows}
    bad = client.get("/executions?state=AwaitRatng")
    assert (
        bad.status_code == 400
        and "unknown state &#39;AwaitRatng&#39;; states: " in text(bad)
        and "AwaitRating" in text(bad)
    )
    assert client.get("/executions?wave=9").status_code == 400 and "unknown wave 9" in text(
        client.get("/executions?wave=9")
    )
    assert client.get("/executions?older_than=fortnight").status_code == 400
    assert client.get("/executions?status=RUNING").status_code == 400


def test_stuck_waves_payouts_and_audit_pages(client, local_world):
    stuck = text(client.get("/stuck"))
    assert "AwaitRating" in stuck and "AwaitTrainingPurchase" in stuck and local_world.rating in stuck
    waves = text(client.get("/waves"))
    assert re.search(r'<tr data-wave="1">.*?OPEN.*?<td class="num">4</td>', waves, re.S)  # intake of wave 1
    assert re.search(r'<tr data-wave="2">.*?<td class="num">1</td>', waves, re.S)
    payouts = text(client.get("/payouts"))
    assert "Payout runs are running" in payouts
    assert "not KYC-verified" in payouts
    assert local_world.failed in re.search(r'<table id="failed-by-reason">.*?</table>', payouts, re.S)[0]
    assert "Rp600,000" in re.search(r'<div class="card"><div class="big ok">([^<]*)</div>paid so far', payouts)[1]
    audit = text(client.get(f"/audit?since=2020-07-01&participant={local_world.cancelled}"))
    assert "participant.cancel" in audit and "citra" in audit and "wave.open" not in audit
    rows = list(csv.DictReader(io.StringIO(text(client.get("/audit.csv?since=2020-07-01")))))
    assert [r["action"] for r in rows][:3] == ["wave.open", "wave.open", "participant.cancel"]
    assert client.get("/audit?day=yesterday").status_code == 400


def test_reconciliation_of_an_uploaded_statement(client, local_world):
    lines = local_world.cloud.provider.statement_lines()
    statement = "".join(json.dumps(line) + "\n" for line in lines).encode()
    token = client.form_token(client.get("/reconcile"))
    clean = text(
        client.post(
            "/reconcile",
            {"csrf_token": token, "statement": (io.BytesIO(statement), "statement.jsonl")},
            content_type="multipart/form-data",
        )
    )
    assert "clean" in clean and "No mismatch." in clean
    forged = dict(lines[0], transfer_id="TX-FORGED", idempotency_key=f"{local_world.paid}:POST_TRAINING:2", sequence=2)
    statement += (json.dumps(forged) + "\n").encode()
    found = text(
        client.post(
            "/reconcile",
            {"csrf_token": token, "statement": (io.BytesIO(statement), "statement.jsonl")},
            content_type="multipart/form-data",
        )
    )
    assert "paid_not_in_ledger" in found and "TX-FORGED" in found
    bad = client.post(
        "/reconcile",
        {"csrf_token": token, "statement": (io.BytesIO(b"{nope\n"), "s.jsonl")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "line 1 is not JSON" in text(bad)


def test_the_statement_given_at_launch_is_reconciled_in_the_background(local_world):
    lines = local_world.cloud.provider.statement_lines()
    forged = dict(lines[0], transfer_id="TX-FORGED", idempotency_key=f"{local_world.paid}:POST_TRAINING:2", sequence=2)
    with console(local_world.cloud, statement=lines) as server:
        page = text(Client(server).get("/reconcile"))
        assert "the statement given at launch" in page and "No mismatch." in page and 'class="snapshot"' in page
    with console(local_world.cloud, statement=[*lines, forged]) as server:
        page = text(Client(server).get("/reconcile"))
        assert "paid_not_in_ledger" in page and "TX-FORGED" in page


def _act(client, name: str, reason: str, **params) -> tuple:
    form = client.get(f"/act/{name}", query_string=params)
    assert form.status_code == 200
    confirm = client.post(f"/act/{name}/confirm", {"csrf_token": client.form_token(form), "reason": reason, **params})
    return form, confirm


def test_an_action_needs_a_reason_and_a_second_screen_and_is_audited_as_the_clis(client, local_world):
    day = clock.iso(local_world.cloud.clock())[:10]
    before = len(audit.day(day))
    _, empty = _act(client, "payouts.pause", "   ")
    assert empty.status_code == 400 and "may not be empty" in text(empty)
    _, confirm = _act(client, "payouts.pause", "provider incident 7")
    assert confirm.status_code == 200 and "Confirm: pause every payout run?" in text(confirm)
    assert (
        controls.get_pause() is None or not controls.get_pause()["paused"]
    )  # nothing yet: only the second screen acts
    assert len(audit.day(day)) == before
    done = client.post(
        "/act/payouts.pause/do", {"csrf_token": client.form_token(confirm), "intent": client.field(confirm, "intent")}
    )
    assert done.status_code == 200 and "payouts paused: the payout run pays nothing until resumed" in text(done)
    assert controls.get_pause()["paused"] is True
    assert "PAUSED programme-wide" in text(client.get("/payouts"))
    assert "payouts.pause" in text(client.get("/audit"))  # no day given: this programme week
    assert "Payouts are PAUSED programme-wide" in text(client.get(f"/participants/{local_world.failed}"))
    _, confirm = _act(client, "payouts.resume", "incident over")
    client.post(
        "/act/payouts.resume/do", {"csrf_token": client.form_token(confirm), "intent": client.field(confirm, "intent")}
    )
    assert controls.get_pause()["paused"] is False

    code, _ = ops("payouts", "pause", "--actor", "ani", "--reason", "provider incident 7", "--yes")
    assert code == 0
    ops("payouts", "resume", "--actor", "ani", "--reason", "incident over", "--yes")
    entries = audit.day(day)[before:]
    same = lambda e: (e["actor"], e["action"], e["reason"], e["details"], e["at"][:10])  # noqa: E731
    assert [same(e) for e in entries[:2]] == [same(e) for e in entries[2:]]
    assert [e["action"] for e in entries] == ["payouts.pause", "payouts.resume"] * 2


def test_retry_from_the_participant_page_and_a_refused_action_says_why(client, local_world):
    _, confirm = _act(
        client, "entitlement.retry", "ticket 42", participant_id=local_world.failed, kind="POST_TRAINING", sequence="1"
    )
    assert f"retry POST_TRAINING 1 of {local_world.failed}" in text(confirm)
    done = client.post(
        "/act/entitlement.retry/do",
        {"csrf_token": client.form_token(confirm), "intent": client.field(confirm, "intent")},
    )
    assert "is DUE" in text(done) and entitlements.get(local_world.failed, "POST_TRAINING", 1)["status"] == "DUE"
    trail = re.search(
        r'<table id="audit-trail">.*?</table>', text(client.get(f"/participants/{local_world.failed}")), re.S
    )[0]
    assert "entitlement.retry" in trail and "ticket 42" in trail  # today's audit entries are read afresh
    _, confirm = _act(
        client, "entitlement.retry", "again", participant_id=local_world.failed, kind="POST_TRAINING", sequence="1"
    )
    refused = client.post(
        "/act/entitlement.retry/do",
        {"csrf_token": client.form_token(confirm), "intent": client.field(confirm, "intent")},
    )
    assert refused.status_code == 409 and "is DUE, not FAILED: nothing to retry" in text(refused)
    assert client.get("/act/entitlement.retry?participant_id=P1&kind=BONUS&sequence=1").status_code == 400
    assert client.get("/act/wave.open?wave=0").status_code == 400
    assert client.get("/act/participant.delete").status_code == 400
