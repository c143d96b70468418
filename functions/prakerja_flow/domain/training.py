"""Training purchases: the bundle ban and the balance rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .. import config
from .errors import (
    BundleNotAllowed,
    InsufficientBalance,
    InvalidInput,
    ParticipantNotActive,
    PreviousTrainingNotFinished,
    PurchaseDeadlineExpired,
)
from .money import format_idr, require_rupiah
from .vocabulary import ParticipantStatus


@dataclass(frozen=True)
class TrainingItem:
    training_id: str
    institution_id: str
    price_idr: int


@dataclass(frozen=True)
class BalanceView:
    """What the rules need to know about a participant at purchase time."""

    status: str
    balance_idr: int
    purchase_deadline: datetime
    has_purchase: bool
    unfinished_purchase: bool


def programme_date(moment: datetime) -> date:
    """The Jakarta calendar date of a moment; a naive datetime is taken as Jakarta time."""
    return moment.date() if moment.tzinfo is None else moment.astimezone(config.PROGRAMME_TIMEZONE).date()


def check_bundle_ban(items: list[TrainingItem], purchased_at: datetime) -> TrainingItem:
    """One purchase = exactly one training from one institution (since 30 June 2020,
    not retroactive). Returns the single training."""
    if not items:
        raise InvalidInput("a purchase must contain one training")
    if programme_date(purchased_at) >= config.BUNDLE_BAN_EFFECTIVE and len(items) > 1:
        institutions = len({item.institution_id for item in items})
        raise BundleNotAllowed(
            f"bundles are banned since {config.BUNDLE_BAN_EFFECTIVE.isoformat()}: this purchase has "
            f"{len(items)} trainings from {institutions} institution(s); buy one training per purchase"
        )
    return items[0]


def check_purchase(view: BalanceView, items: list[TrainingItem], purchased_at: datetime) -> TrainingItem:
    if view.status != ParticipantStatus.ACTIVE:
        raise ParticipantNotActive(f"participant is {view.status}; purchases are not allowed")
    if not view.has_purchase and purchased_at > view.purchase_deadline:
        raise PurchaseDeadlineExpired(f"the first training had to be bought by {view.purchase_deadline.isoformat()}")
    item = check_bundle_ban(items, purchased_at)
    price = require_rupiah(item.price_idr, "price_idr")
    if price == 0:
        raise InvalidInput("price_idr must be positive")
    if view.unfinished_purchase:
        raise PreviousTrainingNotFinished("a second training can be bought only after the first is finished")
    if price > view.balance_idr:
        raise InsufficientBalance(
            f"training costs {format_idr(price)} but the remaining balance is {format_idr(view.balance_idr)}"
        )
    return item
