"""What partner platforms report: purchases, completions (certificates) and ratings.
Every check runs before anything is written; a refusal changes nothing."""

from __future__ import annotations

from datetime import datetime

from .. import clock
from ..data import participants as profiles
from ..data import purchases, rating_window
from ..domain import errors, participation, vouchers
from ..domain import rating as rating_rules
from ..domain.training import BalanceView, TrainingItem, check_purchase
from ..domain.vocabulary import PurchaseStatus, Stage
from . import events, lifecycle_start

PURCHASE, COMPLETION, RATING = Stage.PURCHASE, Stage.COMPLETION, Stage.RATING


def issue_voucher(participant_id: str, platform_id: str, training_id: str, issued_by: str, at: datetime) -> dict:
    """The participant's consent to buy this training on this platform (domain/vouchers.py).
    The code is returned once, here; the table keeps only its hash."""
    profile = profiles.require(participant_id)
    if profile["status"] != participation.ACTIVE:
        raise errors.ParticipantNotActive(f"participant is {profile['status']}; no voucher can be issued")
    code = vouchers.new_code()
    expires_at = vouchers.expiry(at)
    purchases.put_voucher(participant_id, vouchers.code_hash(code), platform_id, training_id, issued_by, at, expires_at)
    return {
        "voucher_code": code,
        "platform_id": platform_id,
        "training_id": training_id,
        "expires_at": clock.iso(expires_at),
    }


def _voucher(participant_id: str, code: str) -> vouchers.Voucher | None:
    item = purchases.get_voucher(participant_id, vouchers.code_hash(code))
    if item is None:
        return None
    return vouchers.Voucher(
        participant_id, item["platform_id"], item["training_id"], clock.parse(item["expires_at"]), item["status"]
    )


def record_purchase(
    participant_id: str, purchase_id: str, platform_id: str, items: list[TrainingItem], voucher_code: str, at: datetime
) -> dict:
    profile = profiles.require(participant_id)
    if purchases.get(participant_id, purchase_id):
        raise errors.DuplicatePurchase(f"purchase {purchase_id} is already recorded")
    view = BalanceView(
        status=profile["status"],
        balance_idr=profile["balance_idr"],
        purchase_deadline=clock.parse(profile["purchase_deadline"]),
        has_purchase=bool(profile.get("first_purchase_id")),
        unfinished_purchase=bool(profile.get("open_purchase_id")),
    )
    item = check_purchase(view, items, at)
    vouchers.check_redemption(_voucher(participant_id, voucher_code), platform_id, item.training_id, at)
    purchase = {
        "participant_id": participant_id,
        "purchase_id": purchase_id,
        "platform_id": platform_id,
        "training_id": item.training_id,
        "institution_id": item.institution_id,
        "price_idr": item.price_idr,
        "training_count": len(items),
        "status": PurchaseStatus.PURCHASED,
        "purchased_at": clock.iso(at),
    }
    purchases.record(participant_id, purchase, profile["balance_expires_at"], at, vouchers.code_hash(voucher_code))
    if not profile.get("first_purchase_id"):
        events.publish(participant_id, PURCHASE, _purchase_event(purchase), at)
    return purchase


def _purchase_event(purchase: dict) -> dict:
    return {k: purchase[k] for k in ("purchase_id", "platform_id", "training_id", "institution_id", "price_idr")}


def _require_purchase(participant_id: str, purchase_id: str, platform_id: str | None = None) -> dict:
    purchase = purchases.get(participant_id, purchase_id)
    if purchase is None or (platform_id is not None and purchase["platform_id"] != platform_id):
        # Another platform's purchase is reported as not found: its existence is not ours to reveal.
        raise errors.PurchaseNotFound(f"purchase {purchase_id} not found for this participant")
    return purchase


def record_completion(
    participant_id: str, purchase_id: str, platform_id: str, training_id: str, certificate_id: str, at: datetime
) -> dict:
    purchase = _require_purchase(participant_id, purchase_id, platform_id)
    completion = {"certificate_id": certificate_id, "training_id": training_id}
    if purchase["status"] != PurchaseStatus.PURCHASED:
        profile = profiles.require(participant_id)
        if (
            purchase.get("completion") == completion
            and _is_first(profile, purchase_id)
            and lifecycle_start.needs_start(profile)
        ):
            # The retry of a first certificate whose lifecycle did not start (503, or a crash
            # after the write): it does now what did not happen then.
            _first_certificate(profile, purchase_id, completion, clock.parse(purchase["completed_at"]), at)
            return purchase
        raise errors.AlreadyCompleted(f"purchase {purchase_id} is already completed")
    if training_id != purchase["training_id"]:
        raise errors.CompletionMismatch(
            f"certificate is for training {training_id} but purchase {purchase_id} bought {purchase['training_id']}"
        )
    purchases.complete(participant_id, purchase_id, completion, at)
    profile = profiles.require(participant_id)
    if _is_first(profile, purchase_id):
        _first_certificate(profile, purchase_id, completion, at, at)
    return purchases.get(participant_id, purchase_id)


def _is_first(profile: dict, purchase_id: str) -> bool:
    return profile.get("first_purchase_id") == purchase_id


def _first_certificate(profile: dict, purchase_id: str, completion: dict, completed_at: datetime, at: datetime) -> None:
    """Each step is safe to repeat, in this order: the rating window opens (from the
    certificate's time), the event waits in the inbox, the lifecycle starts (ADR 0015; one
    started at registration, before it, was handed the event by publish)."""
    participant_id = profile["participant_id"]
    rating_window.open_window(participant_id, purchase_id, rating_rules.window_closes(completed_at), at)
    events.publish(participant_id, COMPLETION, {"purchase_id": purchase_id, **completion}, at)
    lifecycle_start.start_or_queue(profile, at)


def record_rating(participant_id: str, purchase_id: str, platform_id: str, rating: dict, at: datetime) -> dict:
    purchase = _require_purchase(participant_id, purchase_id, platform_id)
    if purchase["status"] != PurchaseStatus.COMPLETED:
        raise errors.NotCompleted(f"purchase {purchase_id} has no certificate yet; rate it after completing it")
    if purchase.get("rating"):
        raise errors.AlreadyRated(f"purchase {purchase_id} is already rated")
    rating_rules.check_rating(rating)
    closed_at = profiles.require(participant_id).get("rating_window_closed_at")
    if closed_at:
        raise errors.RatingWindowClosed(rating_rules.window_closed_message(closed_at))
    purchases.rate(participant_id, purchase_id, rating, at)
    profile = profiles.require(participant_id)
    if not profile.get("incentive_purchase_id"):
        events.publish(participant_id, RATING, {"purchase_id": purchase_id}, at)
    return purchases.get(participant_id, purchase_id)
