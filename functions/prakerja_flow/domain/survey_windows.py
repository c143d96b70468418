"""When the three survey windows open: relative to the first monthly payout actually PAID,
not to the first one due (docs/decisions/0016-survey-windows-from-the-first-payout-paid.md).

A participant whose payouts fail for months on an account problem, and who then fixes it,
gets all three windows counted from the day the money first arrived; one whose first payout
is never paid gets no window, and loses nothing while it is unpaid. Pure: the payout run
reads the participant's entitlements and writes the windows in the same transaction as the
payment (data/cash.mark_paid)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from .. import config
from .incentives import PAID, POST_TRAINING, SCHEDULED, SURVEY

E = TypeVar("E", bound=Mapping[str, Any])


def window(sequence: int, first_paid_at: datetime) -> tuple[datetime, datetime]:
    """Survey `sequence`'s window (opens_at, expires_at) for a first payout paid at `first_paid_at`."""
    opens = first_paid_at + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[sequence - 1]
    return opens, opens + config.SURVEY_WINDOW


def surveys_to_open(ents: Iterable[E], paying: Mapping[str, Any]) -> list[E]:
    """The surveys whose windows the payment of `paying` opens: none unless it is the
    participant's first monthly payout to be paid (whichever number: payout 1 may still be
    in flight when payout 2 is paid), and then every survey still waiting to be filled in.
    A survey granted before this rule (its window counted from the first due date) is moved
    to the new window too: it only moves later, since nothing is paid before it is due."""
    ents = list(ents)
    if paying.get("kind") != POST_TRAINING:
        return []
    key = paying.get("idempotency_key")
    if any(e["kind"] == POST_TRAINING and e["status"] == PAID and e.get("idempotency_key") != key for e in ents):
        return []
    return [e for e in ents if e["kind"] == SURVEY and e["status"] == SCHEDULED and not e.get("submitted_at")]


def first_payout_paid(ents: Iterable[Mapping[str, Any]]) -> bool:
    return any(e["kind"] == POST_TRAINING and e["status"] == PAID for e in ents)
