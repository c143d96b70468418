"""The incentive plan (4 monthly payouts, 3 survey payments) and the life of one
entitlement. An entitlement is one payment the participant is owed; its
idempotency key (participant, kind, sequence) is what the payment provider sees,
so one entitlement can never become two transfers (after a rejection, the next transfer
key: see transfer_key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import config
from .errors import IllegalTransition
from .vocabulary import EntitlementKind, EntitlementStatus

# Short names for the vocabulary, as the rules below read them.
POST_TRAINING, SURVEY = EntitlementKind.POST_TRAINING, EntitlementKind.SURVEY
# The package, per kind: the amount of one payment and how many there are (numbered 1..count).
PACKAGE: dict[str, tuple[int, int]] = {
    POST_TRAINING: (config.POST_TRAINING_PAYOUT_IDR, config.POST_TRAINING_PAYOUT_COUNT),
    SURVEY: (config.SURVEY_PAYMENT_IDR, config.SURVEY_COUNT),
}
SCHEDULED, DUE, SENT, PAID = (
    EntitlementStatus.SCHEDULED,
    EntitlementStatus.DUE,
    EntitlementStatus.SENT,
    EntitlementStatus.PAID,
)
FAILED, CANCELLED, EXPIRED = EntitlementStatus.FAILED, EntitlementStatus.CANCELLED, EntitlementStatus.EXPIRED
STATUSES = tuple(EntitlementStatus)
TERMINAL = frozenset({PAID, CANCELLED, EXPIRED})

TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({DUE, CANCELLED, EXPIRED}),
    DUE: frozenset({SENT, FAILED, CANCELLED}),
    # A SENT transfer's outcome may be unknown (timeout): it stays SENT until the
    # provider says PAID or FAILED. It is never cancelled: money may be on its way.
    SENT: frozenset({PAID, FAILED}),
    FAILED: frozenset({DUE, CANCELLED}),
    PAID: frozenset(),
    CANCELLED: frozenset(),
    EXPIRED: frozenset(),
}


def require_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"entitlement cannot go from {current} to {target}")


def idempotency_key(participant_id: str, kind: str, sequence: int) -> str:
    return f"{participant_id}:{kind}:{sequence}"


# A provider answers a key it has seen with its first outcome, for good: once it has
# rejected a transfer (no money moved), asking again under the same key can only replay the
# rejection (or, with another account, be refused as a reused key), and a participant who
# fixed the account would never be paid. So each rejection moves the entitlement to the
# next transfer key: `<idempotency key>#R<n>` after n rejections.
TRANSFER_KEY_SEPARATOR = "#R"


def transfer_key(idempotency_key: str, rejections: int = 0) -> str:
    """The key the provider sees for an entitlement rejected `rejections` times so far."""
    return idempotency_key if not rejections else f"{idempotency_key}{TRANSFER_KEY_SEPARATOR}{int(rejections)}"


def entitlement_key(key: str) -> str:
    """The entitlement's idempotency key behind a transfer key (itself for the first)."""
    return key.split(TRANSFER_KEY_SEPARATOR, 1)[0]


def current_transfer_key(ent: Mapping[str, Any]) -> str:
    return transfer_key(ent["idempotency_key"], int(ent.get("provider_rejections", 0)))


def lifecycle_waits(ent: Mapping[str, Any]) -> bool:
    """Whether a lifecycle execution waits to be told of this entitlement's payment: only
    executions started on the definition before ADR 0013, whose entitlements lack the field."""
    return bool(ent.get("lifecycle_waits", True))


AMOUNTS = {POST_TRAINING: config.POST_TRAINING_PAYOUT_IDR, SURVEY: config.SURVEY_PAYMENT_IDR}


@dataclass(frozen=True)
class PlannedEntitlement:
    kind: str
    sequence: int
    amount_idr: int
    due_at: datetime | None  # surveys become due when they are filled in
    # Surveys: none at the grant. Their windows open once the first monthly payout is paid
    # (domain/survey_windows.py), whenever that is.
    opens_at: datetime | None = None
    expires_at: datetime | None = None


def plan_incentives(granted_at: datetime) -> list[PlannedEntitlement]:
    first_due = granted_at + config.FIRST_PAYOUT_DELAY
    payouts = [
        PlannedEntitlement(
            POST_TRAINING, n, config.POST_TRAINING_PAYOUT_IDR, first_due + (n - 1) * config.PAYOUT_INTERVAL
        )
        for n in range(1, config.POST_TRAINING_PAYOUT_COUNT + 1)
    ]
    surveys = [
        PlannedEntitlement(SURVEY, n, config.SURVEY_PAYMENT_IDR, None) for n in range(1, config.SURVEY_COUNT + 1)
    ]
    plan = payouts + surveys
    assert sum(e.amount_idr for e in plan) == config.CASH_INCENTIVE_CAP_IDR
    return plan


def survey_window_problem(
    now: datetime, opens_at: datetime | None, expires_at: datetime | None, first_payout_paid: bool
) -> str | None:
    """Why a survey cannot be submitted now, in words; None when it can. No window yet
    (`opens_at` None): the first monthly payout has not been paid."""
    if not first_payout_paid or opens_at is None or expires_at is None:
        return (
            "surveys open only after the first incentive payout has been paid "
            f"(survey 1 opens {config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[0].days} days after it)"
        )
    if now < opens_at:
        return f"this survey opens on {opens_at.date().isoformat()}"
    if now >= expires_at:
        return f"this survey closed on {expires_at.date().isoformat()}"
    return None
