"""Payout accounts: the account on the profile (with its version, its changer and its
cooling-off hold) and the history of changes (P#<id> / ACCOUNT#<at>#<random>)."""

from __future__ import annotations

import secrets
from datetime import datetime

from .. import clock
from ..domain.accounts import account_version
from ..domain.entities import AccountChange, Participant, PayoutAccount
from . import dynamo, keys

# The condition that the account on file is still the version `:account_version`
# (domain/accounts.account_version): its token, or for an account set before tokens
# existed, its change time. A token (hex) never equals a time, so one OR covers both.
ON_FILE_VALUE = "account_version"
ON_FILE = (
    "(payout_account_version = :account_version OR "
    "(attribute_not_exists(payout_account_version) AND payout_account_updated_at = :account_version))"
)


def replace(
    participant_id: str,
    account: PayoutAccount,
    seen: Participant,
    hold_until: datetime | None,
    actor: str,
    at: datetime,
) -> bool:
    """Replaces the payout account the participant had when `seen` (the profile) was read,
    and appends the change to the participant's account history (who, from what, to
    what, and the cooling-off hold), in one transaction. False when the account changed
    meanwhile (nothing written: read again)."""
    expected = account_version(seen)
    change = AccountChange(
        pk=keys.participant(participant_id),
        sk=keys.account_change(clock.iso(at), secrets.token_hex(4)),
        type="ACCOUNT_CHANGE",
        participant_id=participant_id,
        previous=seen.get("payout_account"),
        account=account,
        changed_by=actor,
        at=clock.iso(at),
        hold_until=clock.iso(hold_until) if hold_until else None,
    )
    sets = (
        "payout_account = :acc, payout_account_updated_at = :at, payout_account_version = :version, "
        "payout_account_changed_by = :actor"
    )
    sets += ", payout_account_hold_until = :hold" if hold_until else ""
    update = {
        "TableName": dynamo.table(),
        "Key": dynamo.key(keys.participant(participant_id), keys.PROFILE),
        "UpdateExpression": f"SET {sets}" + ("" if hold_until else " REMOVE payout_account_hold_until"),
        # The account we decided about is still the one on file (or there still is none).
        "ConditionExpression": "attribute_exists(pk) AND "
        + (ON_FILE if expected else "attribute_not_exists(payout_account_updated_at)"),
        "ExpressionAttributeValues": dynamo.values(
            acc=account,
            at=clock.iso(at),
            version=secrets.token_hex(8),
            actor=actor,
            **({"hold": clock.iso(hold_until)} if hold_until else {}),
            **({ON_FILE_VALUE: expected} if expected else {}),
        ),
    }
    return dynamo.transact([{"Update": update}, dynamo.put_new_request(dict(change))]) is None


def changes(participant_id: str) -> list[AccountChange]:
    return dynamo.partition(keys.participant(participant_id), keys.ACCOUNT_CHANGE)  # type: ignore[return-value]
