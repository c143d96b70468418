"""The rating window (config.RATING_WINDOW): one item per participant, queued in the
deadline queue at the window's end (P#<id> / DEADLINE#RATING), and the claim that closes
it. Closing and rating exclude each other: the close is conditional on no completed
training of the participant being rated (and no incentive granted), a rating on the
window not being closed (purchases.rate), each in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import clock
from ..domain.entities import Purchase
from ..domain.vocabulary import PurchaseStatus
from . import dynamo, keys, schema


def open_window(participant_id: str, purchase_id: str, closes: datetime, at: datetime) -> bool:
    """Starts the window at the first completion; False if it was started before (a retry)."""
    return dynamo.put_new(
        {
            "pk": keys.participant(participant_id),
            "sk": keys.RATING_WINDOW,
            "type": "RATING_WINDOW",
            "participant_id": participant_id,
            "purchase_id": purchase_id,
            "closes_at": clock.iso(closes),
            "opened_at": clock.iso(at),
            schema.GSI1_PK: keys.queue(schema.Q_DEADLINES, participant_id),
            schema.GSI1_SK: keys.queue_position(clock.iso(closes), participant_id, "RATING"),
        }
    )


CLOSED, RATED, CONTENDED = "closed", "rated", "contended"


def close(participant_id: str, purchases: list[Purchase], at: datetime) -> str:
    """Closes the window: CLOSED when this call closed it; RATED when a training was rated
    or the incentive granted meanwhile (or it was closed before); CONTENDED when another
    transaction held an item (nothing written: the next sweep tries again)."""
    profile_update: dict[str, Any] = {
        "Update": {
            "TableName": dynamo.table(),
            "Key": dynamo.key(keys.participant(participant_id), keys.PROFILE),
            "UpdateExpression": "SET rating_window_closed_at = :at",
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(rating_window_closed_at) "
            "AND attribute_not_exists(incentive_purchase_id)",
            "ExpressionAttributeValues": dynamo.values(at=clock.iso(at)),
        }
    }
    unrated = [
        {
            "ConditionCheck": {
                "TableName": dynamo.table(),
                "Key": dynamo.key(p["pk"], p["sk"]),
                "ConditionExpression": "attribute_not_exists(rating)",
            }
        }
        for p in purchases
        if p.get("status") == PurchaseStatus.COMPLETED
    ]
    codes = dynamo.transact([profile_update, *unrated])
    if codes is None:
        return CLOSED
    return RATED if "ConditionalCheckFailed" in codes else CONTENDED


def dequeue(item: dict[str, Any]) -> None:
    dynamo.leave_queue(item)


# The profile condition of a rating: the window is still open.
STILL_OPEN = "attribute_not_exists(rating_window_closed_at)"
