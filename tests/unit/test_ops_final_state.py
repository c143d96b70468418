"""How `ops executions` names the end of a SUCCEEDED lifecycle from the profile alone (no
history read per row): prakerja/ops/reads.final_state, for both definitions (ADR 0013)."""

from __future__ import annotations

import pytest

from prakerja.ops.reads import final_state
from prakerja_flow.domain import participation

GRANTED_TODAY = {"status": participation.ACTIVE, "incentive_purchase_id": "ORD1", "lifecycle_waits": False}


@pytest.mark.parametrize(
    ("profile", "ended_in"),
    [
        (GRANTED_TODAY, "IncentivesGranted"),
        # Cancelled after the grant: the execution had already ended there; only money stopped.
        ({**GRANTED_TODAY, "status": participation.CANCELLED}, "IncentivesGranted"),
        ({"status": participation.CANCELLED}, "ParticipationCancelled"),
        ({"status": participation.REVOKED}, "Revoked"),
        ({"status": participation.ACTIVE, "rating_window_closed_at": "2020-09-01T00:00:00Z"}, "RatingWindowClosed"),
        # Granted by the definition before ADR 0013 (no lifecycle_waits): its payout loop ran to the end.
        ({"status": participation.ACTIVE, "incentive_purchase_id": "ORD1"}, "LifecycleComplete"),
        ({"status": participation.CANCELLED, "incentive_purchase_id": "ORD1"}, "ParticipationCancelled"),
    ],
)
def test_the_end_state_is_read_from_the_profile(profile, ended_in):
    assert final_state(profile) == ended_in
