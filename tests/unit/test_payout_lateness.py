"""Payout lateness (prakerja/payout_lateness.py), without AWS: days from due to paid, by
kind and cause, and the payments no run ever attempted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from prakerja.payout_lateness import measure, percentile
from prakerja.simulate import NEVER, Report
from prakerja_flow import clock

T0 = datetime(2020, 9, 1, 8, tzinfo=UTC)
LAST_RUN = T0 + timedelta(days=200)


def ent(pid, kind, seq, status, due, paid=None):
    item = {"participant_id": pid, "kind": kind, "sequence": seq, "status": status,
            "idempotency_key": f"{pid}:{kind}:{seq}", "due_at": clock.iso(due)}  # fmt: skip
    if paid is not None:
        item["paid_at"] = clock.iso(paid)
    return item


def test_days_late_by_kind_and_cause():
    items = [
        ent("A", "POST_TRAINING", 1, "PAID", T0, T0),
        ent("A", "POST_TRAINING", 2, "PAID", T0 + timedelta(days=30), T0 + timedelta(days=32)),
        ent("B", "POST_TRAINING", 1, "PAID", T0, T0 + timedelta(days=9)),  # account fixed on day 9
        ent("B", "POST_TRAINING", 2, "PAID", T0 + timedelta(days=30), T0 + timedelta(days=31)),
        ent("C", "POST_TRAINING", 1, "FAILED", T0),  # in someone else's name: never fixed
        ent("A", "SURVEY", 1, "PAID", T0 + timedelta(days=40), T0 + timedelta(days=40, hours=12)),
    ]
    out = measure(items, {"A": None, "B": T0 + timedelta(days=9), "C": NEVER}, LAST_RUN)
    assert out["POST_TRAINING"]["participant"] == {
        "count": 1, "p50_days": 9.0, "p95_days": 9.0, "max_days": 9.0, "unpaid": 1,
    }  # fmt: skip
    assert out["POST_TRAINING"]["system"] == {
        "count": 3,
        "p50_days": 1.0,
        "p95_days": 2.0,
        "max_days": 2.0,
        "unpaid": 0,
    }
    assert out["SURVEY"]["system"]["max_days"] == 0.5 and out["SURVEY"]["participant"]["count"] == 0
    assert out["never_attempted"] == []


def test_not_yet_due_not_due_at_all_and_never_to_be_paid_are_not_late():
    items = [
        ent("A", "POST_TRAINING", 4, "SCHEDULED", LAST_RUN + timedelta(days=1)),
        {"participant_id": "A", "kind": "SURVEY", "sequence": 2, "status": "SCHEDULED", "idempotency_key": "A:S:2"},
        ent("A", "POST_TRAINING", 3, "CANCELLED", T0),
        ent("A", "SURVEY", 3, "EXPIRED", T0),
    ]
    out = measure(items, {}, LAST_RUN)
    assert all(out[k][c]["count"] == out[k][c]["unpaid"] == 0 for k in ("POST_TRAINING", "SURVEY") for c in out[k])
    assert out["never_attempted"] == []


def test_a_due_payment_no_run_looked_at_is_named_and_fails_the_run():
    out = measure([ent("A", "POST_TRAINING", 1, "SCHEDULED", T0)], {}, LAST_RUN)
    assert out["never_attempted"] == ["A:POST_TRAINING:1"] and out["POST_TRAINING"]["system"]["unpaid"] == 1
    report = Report(participants=1, seed=1, faults=0.0, lateness=out)
    assert report.as_dict()["ok"] is False
    assert Report(participants=1, seed=1, faults=0.0, lateness={**out, "never_attempted": []}).as_dict()["ok"]


@given(st.lists(st.floats(0, 400, allow_nan=False), min_size=1, max_size=60))
def test_percentiles_are_values_of_the_sample_in_order(values):
    values = sorted(values)
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    assert p50 in values and p95 in values and values[0] <= p50 <= p95 <= values[-1] == percentile(values, 1.0)
