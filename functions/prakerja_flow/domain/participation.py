"""A participant's standing when accepted: the deadlines that start with acceptance and
the balance they start with."""

from __future__ import annotations

from datetime import datetime

from .. import clock, config
from .entities import Participant
from .vocabulary import ParticipantStatus

ACTIVE, REVOKING, REVOKED, CANCELLED = (
    ParticipantStatus.ACTIVE,
    ParticipantStatus.REVOKING,
    ParticipantStatus.REVOKED,
    ParticipantStatus.CANCELLED,
)


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
