"""The diagnosis an operator reads ("why is this person not paid"), decided without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from prakerja_flow import clock, config
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain.diagnosis import diagnose
from prakerja_flow.domain.vocabulary import EntitlementStatus, ParticipantStatus, PurchaseStatus

NOW = datetime(2020, 9, 1, 3, 0, tzinfo=UTC)


def _iso(days: float) -> str:
    return clock.iso(NOW + timedelta(days=days))


def profile(status=ParticipantStatus.ACTIVE, granted=True, **extra) -> dict:
    base = {"status": status, "purchase_deadline": _iso(20), "cash_paid_idr": 0, "payout_account_updated_at": _iso(-60)}
    if granted:
        base["incentive_purchase_id"] = "X1"
    return {**base, **extra}


def purchase(status=PurchaseStatus.COMPLETED, rated=True) -> dict:
    p = {
        "purchase_id": "X1",
        "training_id": "T-1",
        "status": status,
        "purchased_at": _iso(-40),
        "completed_at": _iso(-30),
    }
    return {**p, "rating": {"instructor": 5}} if rated else p


def ent(kind=inc.POST_TRAINING, sequence=1, status=EntitlementStatus.DUE, due=-1, **extra) -> dict:
    return {
        "kind": kind,
        "sequence": sequence,
        "status": status,
        "amount_idr": inc.AMOUNTS[kind],
        "due_at": _iso(due),
        "updated_at": _iso(-1),
        **extra,
    }


def test_waiting_for_the_first_purchase_names_the_deadline():
    assert (
        diagnose(profile(granted=False), [], [], NOW)
        == f"waiting for the first training purchase; deadline {_iso(20)[:10]}"
    )


def test_waiting_for_completion_and_for_rating_count_the_days():
    assert "waiting for completion of training T-1 since 40 days" == diagnose(
        profile(granted=False), [purchase(PurchaseStatus.PURCHASED)], [], NOW
    )
    closes = (NOW - timedelta(days=30) + config.RATING_WINDOW).date().isoformat()
    assert f"waiting for rating of training T-1 since 30 days (no rating, no incentive: rate it by {closes})" == (
        diagnose(profile(granted=False), [purchase(rated=False)], [], NOW)
    )


def test_a_closed_rating_window_says_no_incentive_and_why():
    closed = profile(granted=False, rating_window_closed_at="2020-08-30T00:00:00Z")
    line = diagnose(closed, [purchase(rated=False)], [], NOW)
    assert line.startswith("no incentive: the rating window closed on 2020-08-30: no training was rated within ")
    assert f"{config.RATING_WINDOW.days} days" in line


def test_a_failed_payment_comes_first_with_its_reason():
    line = diagnose(
        profile(),
        [purchase()],
        [
            ent(status=EntitlementStatus.FAILED, failure_reason="account closed", failed_at=_iso(-3)),
            ent(sequence=2, due=20),
        ],
        NOW,
    )
    assert line.startswith("payout 1 failed: account closed;") and "3 days ago" in line


def test_a_held_account_change_is_named_with_the_day_payouts_start():
    hold = _iso(2)
    line = diagnose(
        profile(payout_account_hold_until=hold, payout_account_updated_at=_iso(-1)), [purchase()], [ent()], NOW
    )
    assert "held: the payout account was changed" in line and hold[:10] in line


def test_a_misconfigured_provider_is_never_the_participants_problem():
    asked = []

    def problem():
        asked.append(1)
        return {"problem": "401 from the provider", "at": _iso(-2)}

    line = diagnose(profile(), [purchase()], [ent()], NOW, problem)
    assert "payment provider misconfigured" in line and "nothing for the participant to fix" in line
    assert "401" not in line  # details stay with operators
    assert diagnose(profile(), [purchase()], [ent(due=5)], NOW, problem).endswith(f"is due on {_iso(5)[:10]}")
    assert len(asked) == 1  # asked only when a payment is due


def test_complete_when_every_entitlement_is_terminal():
    ents = [ent(sequence=n, status=EntitlementStatus.PAID) for n in range(1, 5)]
    ents += [ent(inc.SURVEY, n, EntitlementStatus.EXPIRED if n == 3 else EntitlementStatus.PAID) for n in range(1, 4)]
    paid = 4 * config.POST_TRAINING_PAYOUT_IDR + 2 * config.SURVEY_PAYMENT_IDR
    assert diagnose(profile(cash_paid_idr=paid), [purchase()], ents, NOW) == f"complete: Rp{paid:,} paid"


def test_a_failure_retried_by_itself_says_when_not_once_fixed():
    why = "the e-wallet's balance or monthly incoming limit is reached; retried automatically from 2020-10-01"
    failed = ent(status=EntitlementStatus.FAILED, failure_reason=why, failed_at=_iso(-2), retry_after=_iso(30))
    line = diagnose(profile(), [purchase()], [failed], NOW)
    assert line == f"payout 1 failed: {why} (failed 2 days ago)"
    plain = ent(status=EntitlementStatus.FAILED, failure_reason="why", failed_at=_iso(-2))
    assert "will retry at the next payout run once fixed" in diagnose(profile(), [purchase()], [plain], NOW)


def test_surveys_without_a_window_wait_for_the_first_payout_paid():
    # No payout paid (here every one cancelled by hand): the surveys still have no window.
    payouts = [ent(sequence=n, status=EntitlementStatus.CANCELLED) for n in range(1, 5)]
    waiting = [
        {k: v for k, v in ent(inc.SURVEY, n, EntitlementStatus.SCHEDULED).items() if k != "due_at"} for n in (1, 2)
    ]
    line = diagnose(profile(), [purchase()], payouts + waiting, NOW)
    assert line == "surveys wait for the first payout to be paid; survey 1 opens 30 days after it"
    opened = [{**waiting[0], "opens_at": _iso(10), "expires_at": _iso(40)}, waiting[1]]
    assert diagnose(profile(), [purchase()], payouts + opened, NOW) == (
        f"waiting for survey 1 (open {_iso(10)[:10]} to {_iso(40)[:10]})"
    )


def test_revoked_and_cancelled_say_so_whatever_else_is_on_file():
    assert diagnose(profile(ParticipantStatus.REVOKED, revocation_reason="no training bought"), [], [], NOW).startswith(
        "revoked: no training bought"
    )
    assert (
        diagnose(
            profile(ParticipantStatus.CANCELLED),
            [purchase()],
            [ent(status=EntitlementStatus.FAILED, failure_reason="x")],
            NOW,
        )
        == "participation cancelled"
    )


STATUSES = st.sampled_from(list(EntitlementStatus))


@given(
    status=st.sampled_from(list(ParticipantStatus)),
    granted=st.booleans(),
    purchases=st.lists(st.tuples(st.sampled_from(list(PurchaseStatus)), st.booleans()), max_size=2),
    ents=st.lists(
        st.tuples(st.sampled_from([inc.POST_TRAINING, inc.SURVEY]), st.integers(1, 4), STATUSES, st.integers(-90, 90)),
        max_size=7,
    ),
    hold=st.one_of(st.none(), st.integers(-5, 5)),
)
def test_every_consistent_standing_gets_one_line(status, granted, purchases, ents, hold):
    extra = {"payout_account_hold_until": _iso(hold)} if hold is not None else {}
    entitlements = [
        ent(k, n, s, d, failure_reason="why", opens_at=_iso(d), expires_at=_iso(d + 30)) for k, n, s, d in ents
    ]
    line = diagnose(
        profile(status, granted and bool(purchases), revocation_reason="r", **extra),
        [purchase(s, r) for s, r in purchases],
        entitlements,
        NOW,
        lambda: None,
    )
    assert line and "\n" not in line
    if status == ParticipantStatus.REVOKED:
        assert line.startswith("revoked")
    elif status == ParticipantStatus.ACTIVE and any(e["status"] == EntitlementStatus.FAILED for e in entitlements):
        assert " failed: why;" in line
