"""A participant's standing when accepted (the deadlines that start with acceptance and
the balance they start with), and what they wait for before their lifecycle starts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .. import clock, config
from .entities import Participant
from .vocabulary import LifecycleState, ParticipantStatus, PurchaseStatus, Stage

ACTIVE, REVOKING, REVOKED, CANCELLED = (
    ParticipantStatus.ACTIVE,
    ParticipantStatus.REVOKING,
    ParticipantStatus.REVOKED,
    ParticipantStatus.CANCELLED,
)
# The end state of a participation that ended by revocation or cancellation: where its
# execution ends, or what ops and the simulator call it when it had none (ADR 0015).
ENDED_STATE = {REVOKED: LifecycleState.REVOKED, CANCELLED: LifecycleState.PARTICIPATION_CANCELLED}


def accepted(
    participant_id: str, nik: str, full_name: str, wave: int, gender: str, birth_date: str, at: datetime
) -> Participant:
    """A newly registered participant: the training balance credited, the first purchase due
    within PURCHASE_DEADLINE, the unused balance forfeited after BALANCE_VALIDITY."""
    return Participant(
        participant_id=participant_id,
        nik=nik,
        full_name=full_name,
        gender=gender,
        birth_date=birth_date,
        wave=wave,
        status=ACTIVE,
        accepted_at=clock.iso(at),
        purchase_deadline=clock.iso(at + config.PURCHASE_DEADLINE),
        balance_expires_at=clock.iso(at + config.BALANCE_VALIDITY),
        balance_idr=config.TRAINING_BALANCE_IDR,
        cash_committed_idr=0,
        cash_paid_idr=0,
    )


def waiting_before_lifecycle(
    profile: Mapping[str, Any], purchases: list[Mapping[str, Any]]
) -> tuple[Stage, str] | None:
    """What an active participant without an execution waits for, and since when: the
    lifecycle execution starts at the first certificate (ADR 0015), so until then the
    profile says where they are. None when an execution should exist or the participation ended."""
    if profile.get("execution_arn") or profile.get("status") != ACTIVE:
        return None
    first = profile.get("first_purchase_id")
    if not first:
        return Stage.PURCHASE, str(profile["accepted_at"])
    purchase = next((p for p in purchases if p.get("purchase_id") == first), None)
    if purchase is not None and purchase.get("status") == PurchaseStatus.PURCHASED:
        return Stage.COMPLETION, str(purchase["purchased_at"])
    return None  # the certificate is recorded: the lifecycle runs, or the sweep starts it
