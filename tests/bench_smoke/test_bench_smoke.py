"""Keeps the cost figures of docs/performance.md honest: the counting code of
bench/cost_per_lifecycle.py, on one happy lifecycle, stays within issue 14's target (at most
18 billed transitions per happy lifecycle; ADR 0013 brought it to 9) and issue 7's task count."""

from __future__ import annotations

from bench.cost_per_lifecycle import measure  # noqa: E402

MAX_BILLED_TRANSITIONS = 18
MAX_LAMBDA_TASKS = 12


def test_happy_lifecycle_stays_within_cost_targets():
    result = measure("happy")
    assert result["execution_status"] == "SUCCEEDED" and result["final_state"] == "IncentivesGranted", result["states"]
    assert result["paid_idr"] == 2_550_000
    assert 0 < result["billed_transitions"] <= MAX_BILLED_TRANSITIONS, result["states"]
    assert 0 < result["lambda"]["state_machine_tasks"] <= MAX_LAMBDA_TASKS, result["lambda"]
    # The counters really counted (a silently broken hook would make the costs look free).
    assert result["ddb"]["task"]["calls"] and result["ddb"]["api"]["calls"]
    assert result["api_gateway_requests"] >= 7
