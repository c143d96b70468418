"""The whole lifecycle through a deployed environment: its API stage (signed requests),
its state machine and functions, its schedules (fired as Scheduler would, months apart),
its test payment provider; then the ledger against the provider's own statement.
(Every test of the deployed environment is in this module: the environment, on MiniStack
deployed for it, lives as long as the module runs.)

The environment is a development stack deployed with -c programmeClock=true: the
scheduled jobs run "as of" their scheduled time, and the API's "now" is moved forward
with `prakerja ops clock advance` to each survey's window, so the participant fills in
all three surveys and is paid for them, as the programme pays them months apart."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from infra import emulator
from prakerja_flow import catalogue, clock, config
from prakerja_flow.domain.nik import build_nik
from prakerja_flow.payments import test_accounts as ta

WAVE = 1
REVIEW = "Instruktur menjelaskan dengan jelas."
LONG_AGO = "2000-01-01T00:00:00Z"
PAYMENTS = config.POST_TRAINING_PAYOUT_COUNT + config.SURVEY_COUNT  # entitlements per participant
JOBS = [spec.key for spec in catalogue.scheduled_jobs()]
pytestmark = pytest.mark.deployed


def a_nik() -> str:
    rng = random.SystemRandom()
    return build_nik(
        31, 71, 1, date(1975, 1, 1) + timedelta(days=rng.randrange(9000)), rng.choice("MF"), rng.randrange(1, 9999)
    )


def ok(answer: tuple[int, dict], status: int) -> dict:
    assert answer[0] == status, answer
    return answer[1]


def refused(target, answer: tuple[int, dict], status: int, code: str | None) -> dict:
    got, body = answer
    assert got == status, answer
    error = body["error"]
    assert error["message"] and error["request_id"], body  # the one error shape
    if code is not None:
        assert error["code"] == code, body
    return error


def view(target, pid: str) -> dict:
    return ok(target.call("portal", "GET", f"/participants/{pid}"), 200)


def granted(target, pid: str) -> dict:
    """The participant's standing once the lifecycle ended at the grant (ADR 0013): its
    execution SUCCEEDED and the seven entitlements exist; the payout run pays them from here."""
    seen: dict = {}

    def check():
        seen["view"] = standing = view(target, pid)
        ended = target.execution(pid)["status"] == "SUCCEEDED"
        return standing if ended and len(standing["entitlements"]) == PAYMENTS else None

    try:
        return target.wait(f"{pid}'s lifecycle to end at the grant", check)
    except AssertionError as timed_out:
        last = seen.get("view") or {}
        statuses = [(e["kind"], e["sequence"], e["status"]) for e in last.get("entitlements", [])]
        raise AssertionError(f"{timed_out}; {target.execution(pid)['status']}, {statuses}") from None


def entitlement(standing: dict, kind: str, sequence: int) -> dict:
    return next(e for e in standing["entitlements"] if e["kind"] == kind and e["sequence"] == sequence)


def open_wave(target) -> None:
    status, body = target.call("operator", "POST", f"/waves/{WAVE}/open", {"actor": "e2e", "reason": "deployed suite"})
    assert status == 200 or (status == 409 and "already OPEN" in body["error"]["message"]), body


def register_and_train(target, number: str) -> str:
    pid = ok(
        target.call("portal", "POST", "/participants", {"nik": a_nik(), "full_name": "Siti Aminah", "wave": WAVE}), 201
    )["participant_id"]
    ok(
        target.call(
            "portal", "PUT", f"/participants/{pid}/payout-account", {"channel": "OVO", "account_number": number}
        ),
        200,
    )
    # The participant's consent to buy T1 on this platform, from the portal (one purchase).
    voucher = ok(
        target.call(
            "portal",
            "POST",
            f"/participants/{pid}/vouchers",
            {"platform_id": target.clients["platform"].principal_id, "training_id": "T1"},
        ),
        201,
    )["voucher_code"]
    bundle = {
        "purchase_id": "ORD0",
        "trainings": [
            {"training_id": "T1", "institution_id": "LPK1", "price_idr": 500_000},
            {"training_id": "T2", "institution_id": "LPK2", "price_idr": 100_000},
        ],
        "voucher_code": voucher,
    }
    refused(target, target.call("platform", "POST", f"/participants/{pid}/purchases", bundle), 422, "BundleNotAllowed")
    one = {
        "purchase_id": "ORD1",
        "trainings": [{"training_id": "T1", "institution_id": "LPK1", "price_idr": config.TRAINING_BALANCE_IDR}],
        "voucher_code": voucher,
    }
    ok(target.call("platform", "POST", f"/participants/{pid}/purchases", one), 201)
    ok(
        target.call(
            "platform",
            "POST",
            f"/participants/{pid}/purchases/ORD1/completion",
            {"training_id": "T1", "certificate_id": f"CERT-{pid}"},
        ),
        200,
    )
    ok(
        target.call(
            "platform",
            "POST",
            f"/participants/{pid}/purchases/ORD1/rating",
            {"instructor": 5, "facilities": 4, "programme": 5, "review": REVIEW},
        ),
        200,
    )
    return pid


def test_every_scheduled_job_runs_through_its_schedule(target):
    """Each job fired through its deployed schedule (target and input as deployed, the time
    substituted as Scheduler does) for a time long before any participant: nothing is due,
    nothing changes, every job answers. Side by side, as Scheduler would start them."""
    with ThreadPoolExecutor(len(JOBS)) as pool:
        reports = dict(zip(JOBS, pool.map(lambda key: target.fire_schedule(key, LONG_AGO), JOBS), strict=True))
    assert set(reports) == {"payout-run", "reconcile", "deadline-sweep"}
    assert reports["payout-run"]["as_of"] == LONG_AGO and reports["payout-run"]["outcomes"] == {}
    # The payout run is a state machine: it planned, found no shard with work, and summed up.
    assert reports["payout-run"]["shards"] == [] and ":execution:" in reports["payout-run"]["run"]
    assert reports["deadline-sweep"]["as_of"] == LONG_AGO and reports["deadline-sweep"]["outcomes"] == {}
    # The reconciliation reached the payment provider (its statement) and found nothing to compare.
    assert reports["reconcile"]["until"] == LONG_AGO and reports["reconcile"]["clean"] is True


def test_unsigned_requests_are_401(target):
    error = refused(
        target,
        target.call(None, "POST", "/participants", {"nik": a_nik(), "full_name": "Siti", "wave": WAVE}),
        401,
        "Unauthenticated",
    )
    assert "Signing requests" in error["message"]


def test_a_platform_on_an_operator_route_is_403(target):
    # MiniStack leaves $context.authorizer.* of the gateway response literal (infra/emulator.py).
    code = None if emulator.GATEWAY_RESPONSE_AUTHORIZER_CONTEXT in target.gaps else "Forbidden"
    refused(
        target,
        target.call("platform", "POST", f"/waves/{WAVE}/open", {"actor": "e2e", "reason": "not mine"}),
        403,
        code,
    )


def test_one_participant_through_the_whole_lifecycle(target):
    started = clock.now()
    open_wave(target)
    pid = register_and_train(target, ta.number_for(ta.OWN_VERIFIED))
    # A second participant whose number is in someone else's name: refused, then fixed.
    other = register_and_train(target, ta.number_for(ta.SOMEONE_ELSE))
    standing = granted(target, pid)
    granted(target, other)
    assert standing["waiting_for"] == []  # no execution waits for a payout's token any more
    assert [e["status"] for e in standing["entitlements"]] == ["SCHEDULED"] * 7

    # Surveys open a month after the first payout is paid (ADR 0016): the API refuses one now.
    refused(
        target,
        target.call("portal", "POST", f"/participants/{pid}/surveys/1", {"answers": {"q1": "ya"}}),
        409,
        "SurveyNotOpen",
    )

    dues = [
        entitlement(standing, "POST_TRAINING", n)["due_at"] for n in range(1, config.POST_TRAINING_PAYOUT_COUNT + 1)
    ]
    for n, due in enumerate(dues, start=1):
        run_at = clock.parse(due) + timedelta(hours=1)
        if n > 1:
            # Survey n-1 opens as payout n falls due: the participant fills it in that day.
            survey = entitlement(view(target, pid), "SURVEY", n - 1)
            target.advance_clock(clock.iso(clock.parse(survey["opens_at"]) + timedelta(minutes=30)))
            submitted = target.call(
                "portal", "POST", f"/participants/{pid}/surveys/{n - 1}", {"answers": {"q1": "ya", "q2": 4}}
            )
            ok(submitted, 201)
            run_at = max(run_at, clock.parse(survey["opens_at"]) + timedelta(hours=1))
        # A run after the due time: both participants' payouts (and the survey) are due by then.
        report = target.fire_schedule("payout-run", clock.iso(run_at))
        assert report["outcomes"].get("misconfigured", 0) == 0 and report["failed_shards"] == [], report
        if n > 1:
            assert entitlement(view(target, pid), "SURVEY", n - 1)["status"] == "PAID", report
        if n == 1:
            failed = entitlement(view(target, other), "POST_TRAINING", 1)
            assert (failed["status"], failed["failure_code"]) == ("FAILED", "AccountNotOwned")
            assert "someone else's name" in view(target, other)["diagnosis"]
            ok(
                target.call(
                    "portal",
                    "PUT",
                    f"/participants/{other}/payout-account",
                    {"channel": "DANA", "account_number": ta.number_for(ta.OWN_VERIFIED)},
                ),
                200,
            )
            retried = target.fire_schedule("payout-run", clock.iso(clock.parse(due) + timedelta(hours=2)))
            assert retried["outcomes"].get("paid") == 1, retried
        paid = entitlement(view(target, pid), "POST_TRAINING", n)
        assert paid["status"] == "PAID" and paid["label"] == "Berhasil", paid

    # Survey n opens as payout n+1 falls due (payout 1 is paid an hour after it is due): all three
    # are paid by the last payout run; the lifecycle execution had ended at the grant.
    assert config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[-1] == config.PAYOUT_INTERVAL * (
        config.POST_TRAINING_PAYOUT_COUNT - 1
    )

    final = view(target, pid)
    paid_total = config.CASH_INCENTIVE_CAP_IDR
    assert final["cash_paid_idr"] == paid_total
    assert final["diagnosis"] == f"complete: Rp{paid_total:,} paid"
    assert sorted(e["status"] for e in final["entitlements"]) == ["PAID"] * 7

    # The ledger against the provider's own statement.
    statement = [
        line
        for line in target.provider().statement(
            clock.iso(started - timedelta(hours=1)), clock.iso(clock.now() + timedelta(hours=1))
        )
        if line["participant_id"] == pid
    ]
    ledger = {e["idempotency_key"]: e for e in target.ledger(pid) if str(e.get("entry", "")).endswith("_PAID")}
    assert sorted(line["status"] for line in statement) == ["PAID"] * 7, statement
    expected = {f"{pid}:POST_TRAINING:{n}" for n in range(1, config.POST_TRAINING_PAYOUT_COUNT + 1)}
    expected |= {f"{pid}:SURVEY:{n}" for n in range(1, config.SURVEY_COUNT + 1)}
    assert {line["idempotency_key"] for line in statement} == set(ledger) == expected
    for line in statement:
        entry = ledger[line["idempotency_key"]]
        assert (int(entry["amount_idr"]), entry["transfer_id"]) == (line["amount_idr"], line["transfer_id"])
    reconciled = target.fire_schedule("reconcile", clock.iso(clock.now() + timedelta(minutes=1)))
    # Ours 7 and the other participant's 4 monthly payouts at least.
    assert reconciled["clean"] is True and reconciled["provider_paid"] >= 11, reconciled
