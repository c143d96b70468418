"""The survey windows open from the first monthly payout actually paid (ADR 0016), pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from prakerja_flow import config
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain import survey_windows as sw

PAID_AT = datetime(2021, 7, 20, 10, 0, tzinfo=UTC)


def ent(kind, sequence, status=inc.SCHEDULED, **fields):
    return {"kind": kind, "sequence": sequence, "status": status, "idempotency_key": f"P:{kind}:{sequence}", **fields}


def plan(payout_statuses=(inc.SENT, inc.DUE, inc.SCHEDULED, inc.SCHEDULED), **survey_fields):
    payouts = [ent(inc.POST_TRAINING, n, s) for n, s in enumerate(payout_statuses, start=1)]
    return payouts + [ent(inc.SURVEY, n, **survey_fields) for n in range(1, config.SURVEY_COUNT + 1)]


def test_each_window_counts_from_the_first_payment():
    assert [sw.window(n, PAID_AT) for n in (1, 2, 3)] == [
        (PAID_AT + timedelta(days=d), PAID_AT + timedelta(days=d + 30)) for d in (30, 60, 90)
    ]


@given(paid=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)))
@settings(max_examples=60, deadline=None, database=None)
def test_windows_follow_the_payment_wherever_it_falls(paid):
    windows = [sw.window(n, paid) for n in range(1, config.SURVEY_COUNT + 1)]
    for (opens, expires), offset in zip(windows, config.SURVEY_OPENS_AFTER_FIRST_PAYOUT, strict=True):
        assert opens - paid == offset > timedelta(0)  # never before the money arrived
        assert expires - opens == config.SURVEY_WINDOW
    assert [w[0] for w in windows] == sorted(w[0] for w in windows)


def test_the_first_payout_paid_opens_every_waiting_survey():
    ents = plan()
    opened = sw.surveys_to_open(ents, ents[0])
    assert [(e["kind"], e["sequence"]) for e in opened] == [(inc.SURVEY, 1), (inc.SURVEY, 2), (inc.SURVEY, 3)]


def test_payout_two_paid_first_opens_them_too():
    # Payout 1 still in flight (outcome unknown), payout 2 paid: the money has arrived.
    ents = plan((inc.SENT, inc.SENT, inc.SCHEDULED, inc.SCHEDULED))
    assert len(sw.surveys_to_open(ents, ents[1])) == config.SURVEY_COUNT


def test_a_later_payout_opens_nothing():
    ents = plan((inc.PAID, inc.SENT, inc.SCHEDULED, inc.SCHEDULED), opens_at="2021-08-19T10:00:00Z")
    assert sw.surveys_to_open(ents, ents[1]) == []


def test_a_repeat_of_the_same_payment_still_opens_them():
    # The entitlement as read by a retried mark_paid is PAID only if it was recorded: the key
    # being paid is not "another payout already paid".
    ents = plan((inc.PAID, inc.DUE, inc.SCHEDULED, inc.SCHEDULED))
    assert len(sw.surveys_to_open(ents, ents[0])) == config.SURVEY_COUNT


def test_a_survey_payment_opens_nothing():
    ents = plan()
    assert sw.surveys_to_open(ents, ents[-1]) == []


def test_filled_in_cancelled_or_expired_surveys_are_left_alone():
    ents = plan()
    ents[4]["submitted_at"] = "2021-06-01T00:00:00Z"  # survey 1, a window before ADR 0016
    ents[5]["status"] = inc.EXPIRED  # survey 2
    opened = sw.surveys_to_open(ents, ents[0])
    assert [e["sequence"] for e in opened] == [3]


def test_first_payout_paid_means_any_monthly_payout_paid():
    assert not sw.first_payout_paid(plan())
    assert sw.first_payout_paid(plan((inc.FAILED, inc.PAID, inc.DUE, inc.SCHEDULED)))
    assert not sw.first_payout_paid([ent(inc.SURVEY, 1, inc.PAID)])


def test_a_late_fix_still_gets_all_three_windows():
    """The case of issue 17, item 7: payouts fail on the account for three months, the fix
    comes on day 95 after the first due date; every window is still ahead of it in full."""
    first_due = datetime(2021, 4, 15, 9, 30, tzinfo=UTC)
    paid = first_due + timedelta(days=95)
    for n in range(1, config.SURVEY_COUNT + 1):
        opens, expires = sw.window(n, paid)
        assert opens > paid and inc.survey_window_problem(opens, opens, expires, True) is None
        # Counted from the due date instead, surveys 1 and 2 would have closed before the fix.
        old_expires = first_due + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[n - 1] + config.SURVEY_WINDOW
        assert (old_expires <= paid) == (n < 3)
