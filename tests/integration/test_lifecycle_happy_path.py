"""The whole lifecycle on the embedded default: registration to the last rupiah."""

from __future__ import annotations

from support.lifecycle_steps import GRANTED, advance_days, open_wave, paid_lines, survey, trained_and_rated, view

from prakerja_flow import config
from prakerja_flow.domain import incentives as inc


def submit_when_open(cloud, pid: str, sequence: int, max_days: int = 120) -> int:
    """Tries the survey every programme day; returns how many days it was refused."""
    for refused in range(max_days):
        status, body = survey(cloud, pid, sequence)
        if status == 201:
            return refused
        assert body["error"]["code"] == "SurveyNotOpen", body
        advance_days(cloud, 1)
    raise AssertionError(f"survey {sequence} never opened")


def test_happy_path_pays_exactly_the_package_once(cloud):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    assert view(cloud, pid)["balance_idr"] == 0  # the Rp1,000,000 balance bought the training

    refused_days = [submit_when_open(cloud, pid, n) for n in range(1, config.SURVEY_COUNT + 1)]
    assert refused_days[0] >= config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[0].days  # no survey before it opens
    advance_days(cloud, 100)

    lines = paid_lines(cloud)
    kinds = sorted((line["kind"], line["sequence"], line["amount_idr"]) for line in lines)
    assert kinds == [(inc.POST_TRAINING, n, config.POST_TRAINING_PAYOUT_IDR) for n in range(1, 5)] + [
        (inc.SURVEY, n, config.SURVEY_PAYMENT_IDR) for n in range(1, 4)
    ]
    assert len({line["idempotency_key"] for line in lines}) == len(lines) == 7
    assert sum(line["amount_idr"] for line in lines) == config.CASH_INCENTIVE_CAP_IDR

    final = view(cloud, pid)
    assert final["cash_paid_idr"] == config.CASH_INCENTIVE_CAP_IDR
    assert final["cash_paid_idr"] + config.TRAINING_BALANCE_IDR == config.PACKAGE_CAP_IDR
    assert {e["status"] for e in final["entitlements"]} == {inc.PAID}
    assert final["diagnosis"].startswith("complete")
    # The lifecycle ended at the grant (ADR 0013); the payout runs paid all seven.
    assert cloud.executions("RUNNING") == [] and cloud.current_state(pid) == GRANTED


def test_payouts_are_never_paid_before_their_due_date(cloud):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    due = [e for e in view(cloud, pid)["entitlements"] if e["kind"] == inc.POST_TRAINING]
    assert [e["due_at"][:10] for e in due] == sorted(e["due_at"][:10] for e in due)

    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days - 1)
    assert paid_lines(cloud) == []
    advance_days(cloud, 1)
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]
    advance_days(cloud, config.PAYOUT_INTERVAL.days - 1)
    assert len(paid_lines(cloud)) == 1
    advance_days(cloud, 1)
    assert [line["sequence"] for line in paid_lines(cloud)] == [1, 2]
    for line in paid_lines(cloud):
        entitlement = next(e for e in due if e["sequence"] == line["sequence"])
        assert line["at"] >= entitlement["due_at"]
