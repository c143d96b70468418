"""What a participant waits for before the lifecycle execution starts at the first
certificate (ADR 0015): read from the profile and purchases alone, without AWS."""

from __future__ import annotations

from prakerja_flow.domain.participation import waiting_before_lifecycle

ACCEPTED = "2020-07-01T08:00:00Z"
BOUGHT = "2020-07-05T09:00:00Z"


def profile(**extra) -> dict:
    return {"status": "ACTIVE", "accepted_at": ACCEPTED, **extra}


def purchase(status: str) -> dict:
    return {"purchase_id": "ORD1", "status": status, "purchased_at": BOUGHT}


def test_registered_and_not_bought_waits_for_the_purchase_since_acceptance():
    assert waiting_before_lifecycle(profile(), []) == ("PURCHASE", ACCEPTED)


def test_bought_and_not_finished_waits_for_the_certificate_since_the_purchase():
    waiting = waiting_before_lifecycle(profile(first_purchase_id="ORD1"), [purchase("PURCHASED")])
    assert waiting == ("COMPLETION", BOUGHT)


def test_a_certificate_means_an_execution_should_exist():
    assert waiting_before_lifecycle(profile(first_purchase_id="ORD1"), [purchase("COMPLETED")]) is None


def test_an_execution_started_at_registration_answers_for_itself():
    assert waiting_before_lifecycle(profile(execution_arn="arn:aws:states:x"), []) is None


def test_an_ended_participation_waits_for_nothing():
    for status in ("REVOKING", "REVOKED", "CANCELLED"):
        assert waiting_before_lifecycle(profile(status=status), []) is None
