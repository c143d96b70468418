"""Issue 17, item 7: surveys are not lost to a late account fix. The survey windows open from
the first monthly payout actually paid (ADR 0016), so a participant whose payouts fail on an
account problem for months still gets all three survey payments once it is fixed."""

from __future__ import annotations

from datetime import timedelta

from support.lifecycle_steps import (
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
    view,
)

from prakerja_flow import clock, config
from prakerja_flow.domain import incentives as inc

NUMBER = "081299990001"
# Long enough for every monthly payout to have failed and for all three windows, had they been
# counted from the first due date, to have closed.
UNFIXED_DAYS = (config.FIRST_PAYOUT_DELAY + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[-1] + config.SURVEY_WINDOW).days + 5


def of(standing: dict, kind: str) -> list[dict]:
    return [e for e in standing["entitlements"] if e["kind"] == kind]


def test_a_late_account_fix_still_gets_all_three_survey_payments(cloud):
    open_wave(cloud)
    pid = register(cloud)
    payout_account(cloud, pid, nik(1), verified=False, number=NUMBER)  # KYC not done in the e-wallet's app
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    first_due = clock.parse(of(view(cloud, pid), inc.POST_TRAINING)[0]["due_at"])

    advance_days(cloud, UNFIXED_DAYS)
    standing = view(cloud, pid)
    assert [(e["status"], e["failure_code"]) for e in of(standing, inc.POST_TRAINING)] == [
        (inc.FAILED, "AccountNotVerified")
    ] * config.POST_TRAINING_PAYOUT_COUNT
    # Nothing paid, so no window has opened, and none has expired: nothing is lost meanwhile.
    assert [(e["status"], e["opens_at"], e["expires_at"]) for e in of(standing, inc.SURVEY)] == [
        (inc.SCHEDULED, None, None)
    ] * config.SURVEY_COUNT
    assert clock.now() > first_due + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[-1] + config.SURVEY_WINDOW
    status, body = survey(cloud, pid, 1)
    assert (status, body["error"]["code"]) == (409, "SurveyNotOpen")
    assert "first incentive payout has been paid" in body["error"]["message"]
    assert paid_lines(cloud) == []

    # The participant completes KYC in the e-wallet's app (same account: no cooling-off).
    cloud.provider.open_account("OVO", NUMBER, nik(1), kyc_verified=True)
    advance_days(cloud, 1)
    standing = view(cloud, pid)
    payouts = of(standing, inc.POST_TRAINING)
    assert {e["status"] for e in payouts} == {inc.PAID}
    first_paid = min(clock.parse(e["paid_at"]) for e in payouts)
    windows = [(clock.parse(e["opens_at"]), clock.parse(e["expires_at"])) for e in of(standing, inc.SURVEY)]
    assert windows == [
        (first_paid + offset, first_paid + offset + config.SURVEY_WINDOW)
        for offset in config.SURVEY_OPENS_AFTER_FIRST_PAYOUT
    ]
    assert standing["diagnosis"].startswith("waiting for survey 1 (open ")

    # Filled in on each window's first day, then paid by the next payout run.
    for n, (opens, _) in enumerate(windows, start=1):
        advance_days(cloud, (opens - clock.now()).days + 1)
        status, body = survey(cloud, pid, n)
        assert status == 201, body
        advance_days(cloud, 1)
        assert of(view(cloud, pid), inc.SURVEY)[n - 1]["status"] == inc.PAID

    final = view(cloud, pid)
    assert final["cash_paid_idr"] == config.CASH_INCENTIVE_CAP_IDR
    assert final["diagnosis"] == f"complete: Rp{config.CASH_INCENTIVE_CAP_IDR:,} paid"
    lines = paid_lines(cloud)
    assert sorted((line["kind"], line["sequence"]) for line in lines) == [
        *((inc.POST_TRAINING, n) for n in range(1, config.POST_TRAINING_PAYOUT_COUNT + 1)),
        *((inc.SURVEY, n) for n in range(1, config.SURVEY_COUNT + 1)),
    ]
    assert len({line["idempotency_key"] for line in lines}) == len(lines)  # each paid once
    assert min(line["at"] for line in lines if line["kind"] == inc.SURVEY) > clock.iso(first_paid + timedelta(days=30))
