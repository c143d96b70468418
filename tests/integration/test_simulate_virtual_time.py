"""`prakerja simulate --shape 2020 --scale K` in virtual time (issue 14, items 4 and 5), sized for
the README test command: the 2020 programme at 1/100,000 (55 participants; quotas divided by
100,000, workers 100,000 times slower), where every money invariant must hold, no quota error
reach a caller as anything but a designed answer, and the payout run's day fit its timeout."""

from __future__ import annotations

import pytest

from prakerja.simulate import simulate

SCALE = 100_000


@pytest.fixture(scope="module")
def summary():
    return simulate(55, 1, shape="2020", scale=SCALE).as_dict()


def test_the_scaled_run_holds_every_invariant_and_exits_0(summary):
    assert summary["ok"], (summary["invariant_violations"], summary["unexpected_responses"])
    assert not any(state.startswith("HistoryEventType.ExecutionFailed") for state in summary["final_states"])


def test_the_run_was_in_virtual_time_and_says_what_it_cost(summary):
    vt = summary["virtual_time"]
    assert vt["scale"] == SCALE and vt["provider_latency_s"] == 0.1
    # Every provider call (about two per payment) cost 0.1 s x 100,000 of programme time.
    assert vt["provider_time_s"] >= summary["payouts_paid"] * 0.1 * SCALE
    assert vt["lambda_timeouts"] == {} and vt["jobs_days_over_payout_run_timeout"] == 0
    assert 0 < vt["jobs_hours_max"] < 20
    assert 1 <= vt["lambda_concurrency_peak"].get("prakerja-pay-shard", 0) <= 16


def test_system_lateness_stays_within_a_day(summary):
    for kind in ("POST_TRAINING", "SURVEY"):
        system = summary["payout_lateness"][kind]["system"]
        assert system["count"] > 0 and system["max_days"] <= 1, (kind, system)
