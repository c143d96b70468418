"""The checks and steps the state machine runs. They re-read the table instead of
trusting the event they were resumed with: a task token is a capability, not proof."""

from __future__ import annotations

from datetime import datetime

from .. import config
from ..data import entitlements, purchases
from ..data import participants as profiles
from ..domain import errors, participation
from ..domain import incentives as inc
from ..domain import rating as rating_rules
from ..domain.training import TrainingItem, check_bundle_ban
from ..domain.vocabulary import PurchaseStatus, Stage, stage_key
from . import events

PAYOUT, SURVEYS = Stage.PAYOUT, Stage.SURVEYS
NO_PURCHASE_REASON = "no training bought before the purchase deadline"


def await_event(participant_id: str, stage: str, sequence: int | None, token: str, at: datetime) -> dict:
    key = stage_key(stage, sequence)
    delivered = events.await_with_token(participant_id, key, token, at)
    return {"stage": key, "delivered_immediately": delivered}


def verify_purchase(participant_id: str, purchase_id: str, at: datetime) -> dict:
    purchase = purchases.get(participant_id, purchase_id)
    if purchase is None:
        raise errors.PurchaseNotFound(f"purchase {purchase_id} is not recorded")
    if purchase.get("training_count", 1) != 1:
        raise errors.BundleNotAllowed(f"purchase {purchase_id} holds {purchase['training_count']} trainings")
    check_bundle_ban([TrainingItem(purchase["training_id"], purchase["institution_id"], purchase["price_idr"])], at)
    if not 0 < purchase["price_idr"] <= config.TRAINING_BALANCE_IDR:
        raise errors.InsufficientBalance(f"purchase {purchase_id} costs more than the training balance")
    return {k: purchase[k] for k in ("purchase_id", "training_id", "institution_id", "platform_id", "price_idr")}


def verify_completion(participant_id: str, purchase_id: str) -> dict:
    purchase = purchases.get(participant_id, purchase_id)
    if purchase is None or purchase["status"] == PurchaseStatus.PURCHASED:
        raise errors.NotCompleted(f"purchase {purchase_id} has no certificate")
    completion = purchase.get("completion") or {}
    if completion.get("training_id") != purchase["training_id"] or not completion.get("certificate_id"):
        raise errors.CompletionMismatch(
            f"the certificate of purchase {purchase_id} is not for training {purchase['training_id']}"
        )
    return {
        "purchase_id": purchase_id,
        "certificate_id": completion["certificate_id"],
        "completed_at": purchase["completed_at"],
    }


def check_rating(participant_id: str, purchase_id: str) -> dict:
    purchase = purchases.get(participant_id, purchase_id)
    if purchase is None:
        raise errors.PurchaseNotFound(f"purchase {purchase_id} is not recorded")
    if purchase["status"] != PurchaseStatus.COMPLETED:
        raise errors.NotCompleted(f"purchase {purchase_id} has no certificate")
    rating = rating_rules.check_rating(purchase.get("rating"))
    return {
        "purchase_id": purchase_id,
        "instructor": rating.instructor,
        "facilities": rating.facilities,
        "programme": rating.programme,
    }


def grant_incentives(participant_id: str, purchase_id: str, at: datetime, *, lifecycle_waits: bool) -> dict:
    created = entitlements.grant(
        participant_id, purchase_id, inc.plan_incentives(at), at, lifecycle_waits=lifecycle_waits
    )
    # payout_progress: read by the payout loop of executions started before ADR 0013.
    return {"granted_now": created, **payout_progress(0)}


def payout_progress(last_paid_sequence: int) -> dict:
    """What the state machine's payout loop reads to decide whether to wait again."""
    return {
        "last_payout": last_paid_sequence,
        "next_payout": last_paid_sequence + 1,
        "more_payouts": last_paid_sequence < config.POST_TRAINING_PAYOUT_COUNT,
    }


def revoke(participant_id: str, reason: str, at: datetime) -> dict:
    forfeited = profiles.revoke_and_forfeit(participant_id, reason, at)
    return {"status": participation.REVOKED, "forfeited_idr": forfeited, "reason": reason}
