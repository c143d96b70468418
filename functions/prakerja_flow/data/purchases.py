"""Training purchases (P#<id> / PURCHASE#<id>), their certificate and rating, and the
vouchers that consent to them (P#<id> / VOUCHER#<hash of the code>). A purchase debits the
balance, books the ledger line and uses up the voucher in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import clock
from ..domain import errors, vouchers
from ..domain import rating as rating_rules
from ..domain.entities import Purchase, Voucher
from ..domain.participation import ACTIVE
from ..domain.vocabulary import PurchaseStatus
from . import dynamo, keys, ledger, rating_window, schema


def item(participant_id: str, purchase: Purchase) -> Purchase:
    return Purchase(
        **purchase, pk=keys.participant(participant_id), sk=keys.purchase(purchase["purchase_id"]), type="PURCHASE"
    )


def get(participant_id: str, purchase_id: str) -> Purchase | None:
    return dynamo.get(keys.participant(participant_id), keys.purchase(purchase_id))  # type: ignore[return-value]


def of(participant_id: str) -> list[Purchase]:
    return dynamo.partition(keys.participant(participant_id), keys.PURCHASE)  # type: ignore[return-value]


def put_voucher(
    participant_id: str,
    code_hash: str,
    platform_id: str,
    training_id: str,
    issued_by: str,
    at: datetime,
    expires_at: datetime,
) -> Voucher:
    voucher = Voucher(
        pk=keys.participant(participant_id),
        sk=keys.voucher(code_hash),
        type="VOUCHER",
        participant_id=participant_id,
        platform_id=platform_id,
        training_id=training_id,
        status=vouchers.ISSUED,
        issued_by=issued_by,
        issued_at=clock.iso(at),
        expires_at=clock.iso(expires_at),
    )
    if not dynamo.put_new(dict(voucher)):
        raise RuntimeError("voucher code clash")  # 60 random bits: a clash means a broken random source
    return voucher


def get_voucher(participant_id: str, code_hash: str) -> Voucher | None:
    return dynamo.get(keys.participant(participant_id), keys.voucher(code_hash))  # type: ignore[return-value]


def record(participant_id: str, purchase: Purchase, balance_expires_at: str, at: datetime, voucher_hash: str) -> None:
    """Debits the balance, records the purchase and uses up the participant's voucher for
    it in one transaction. The conditions repeat the rules so that two concurrent
    purchases cannot both pass, nor one voucher pay for two."""
    price, pid = purchase["price_idr"], purchase["purchase_id"]
    first = "first_purchase_id"
    profile_key = dynamo.key(keys.participant(participant_id), keys.PROFILE)
    codes = dynamo.transact(
        [
            {
                "Update": {
                    "TableName": dynamo.table(),
                    "Key": profile_key,
                    "UpdateExpression": (
                        "SET balance_idr = balance_idr - :price, open_purchase_id = :pid, "
                        f"{first} = if_not_exists({first}, :pid), "
                        # From now on the deadline queue holds the balance expiry, not the purchase deadline.
                        f"{schema.GSI1_PK} = :q, {schema.GSI1_SK} = :qsk"
                    ),
                    "ConditionExpression": (
                        "#s = :active AND balance_idr >= :price AND attribute_not_exists(open_purchase_id) "
                        f"AND (attribute_exists({first}) OR purchase_deadline >= :now)"
                    ),
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": dynamo.values(
                        price=price,
                        pid=pid,
                        active=ACTIVE,
                        now=clock.iso(at),
                        q=keys.queue(schema.Q_DEADLINES, participant_id),
                        qsk=keys.queue_position(balance_expires_at, participant_id),
                    ),
                }
            },
            dynamo.put_new_request(dict(item(participant_id, purchase))),
            ledger.line_request(
                participant_id,
                keys.purchase(pid),
                "TRAINING_PURCHASE",
                -price,
                at,
                purchase_id=pid,
                platform_id=purchase["platform_id"],
            ),
            {
                "Update": {
                    "TableName": dynamo.table(),
                    "Key": dynamo.key(keys.participant(participant_id), keys.voucher(voucher_hash)),
                    "UpdateExpression": "SET #s = :redeemed, purchase_id = :pid, redeemed_at = :now",
                    "ConditionExpression": "#s = :issued AND platform_id = :platform AND training_id = :training "
                    "AND expires_at > :now",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": dynamo.values(
                        redeemed=vouchers.REDEEMED,
                        issued=vouchers.ISSUED,
                        pid=pid,
                        now=clock.iso(at),
                        platform=purchase["platform_id"],
                        training=purchase["training_id"],
                    ),
                }
            },
        ]
    )
    if codes is None:
        return
    if codes[1] == "ConditionalCheckFailed" or codes[2] == "ConditionalCheckFailed":
        raise errors.DuplicatePurchase(f"purchase {pid} is already recorded")
    if codes[3] == "ConditionalCheckFailed":
        raise errors.VoucherAlreadyUsed("the voucher was used by another purchase at the same moment; read it again")
    if codes[0] == "ConditionalCheckFailed":
        raise errors.PreviousTrainingNotFinished(
            "the purchase conflicts with the participant's current state "
            "(status, balance, deadline or unfinished training); read it again"
        )
    raise RuntimeError(f"purchase transaction cancelled: {codes}")


def complete(participant_id: str, purchase_id: str, completion: dict[str, str], at: datetime) -> None:
    codes = dynamo.transact(
        [
            {
                "Update": {
                    "TableName": dynamo.table(),
                    "Key": dynamo.key(keys.participant(participant_id), keys.purchase(purchase_id)),
                    "UpdateExpression": "SET #s = :completed, completion = :c, completed_at = :at",
                    "ConditionExpression": "#s = :purchased",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": dynamo.values(
                        completed=PurchaseStatus.COMPLETED,
                        purchased=PurchaseStatus.PURCHASED,
                        c=completion,
                        at=clock.iso(at),
                    ),
                }
            },
            {
                "Update": {
                    "TableName": dynamo.table(),
                    "Key": dynamo.key(keys.participant(participant_id), keys.PROFILE),
                    "UpdateExpression": "REMOVE open_purchase_id",
                    "ConditionExpression": "open_purchase_id = :pid",
                    "ExpressionAttributeValues": dynamo.values(pid=purchase_id),
                }
            },
        ]
    )
    if codes is not None:
        raise errors.AlreadyCompleted(f"purchase {purchase_id} is already completed")


def rate(participant_id: str, purchase_id: str, rating: dict[str, Any], at: datetime) -> None:
    """Records the rating while the participant's rating window is open, in one transaction
    with that check (data/rating_window.py: the window's close excludes it)."""
    transaction: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": dynamo.table(),
                "Key": dynamo.key(keys.participant(participant_id), keys.purchase(purchase_id)),
                "UpdateExpression": "SET rating = :r, rated_at = :at",
                "ConditionExpression": "#s = :completed AND attribute_not_exists(rating)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": dynamo.values(
                    r=rating, at=clock.iso(at), completed=PurchaseStatus.COMPLETED
                ),
            }
        },
        {
            "ConditionCheck": {
                "TableName": dynamo.table(),
                "Key": dynamo.key(keys.participant(participant_id), keys.PROFILE),
                "ConditionExpression": rating_window.STILL_OPEN,
            }
        },
    ]
    for _ in range(3):
        codes = dynamo.transact(transaction)
        if codes is None:
            return
        if codes[0] == "ConditionalCheckFailed":
            raise errors.AlreadyRated(f"purchase {purchase_id} is already rated")
        if codes[1] == "ConditionalCheckFailed":
            raise errors.RatingWindowClosed(rating_rules.window_closed_message(None))
    raise errors.TransientError(f"the rating of {purchase_id} met concurrent writes three times; retry")
