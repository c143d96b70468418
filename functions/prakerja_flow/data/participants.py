"""Participants (P#<id> / PROFILE) and the one-person-one-card guard (NIK#<version>#<mac> / NIK):
registration, lookups, and the writes that change a participant's standing (revocation,
forfeiture, cancellation). Each is one condition-guarded request or transaction, so a
retry or a race ends in "already done" or a named refusal. The profile's identifiers are
stored sealed (data/identifiers.py), the guard keyed by a KMS HMAC (data/nik_lookup.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from .. import clock, config
from ..domain import errors
from ..domain.entities import Participant
from ..domain.participation import ACTIVE, CANCELLED, REVOKED, REVOKING
from ..domain.vocabulary import WaveStatus
from . import dynamo, identifiers, keys, ledger, nik_lookup, schema
from .nik_lookup import NikGuards


def item(profile: Participant) -> Participant:
    """The profile as stored: its identifiers sealed, its key, the deadline queue (purchase
    deadline) and the wave index."""
    pid = profile["participant_id"]
    stored = Participant(
        pk=keys.participant(pid),
        sk=keys.PROFILE,
        type="PARTICIPANT",
        gsi1pk=keys.queue(schema.Q_DEADLINES, pid),
        gsi1sk=keys.queue_position(profile["purchase_deadline"], pid),
        gsi2pk=keys.wave(profile["wave"]),
        gsi2sk=pid,
    )
    return cast(Participant, {**identifiers.sealed_item(profile), **stored})


def nik_guards(nik: str) -> NikGuards:
    return nik_lookup.guards(nik)


def find_id_by_nik(nik: str, guards: NikGuards | None = None) -> str | None:
    for pk in (guards or nik_guards(nik)).all:
        guard = dynamo.get(pk, keys.NIK_SK)
        if guard:
            return str(guard["participant_id"])
    return None


def _absent(pk: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": dynamo.table(),
            "Key": dynamo.key(pk, keys.NIK_SK),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def guard_item(pk: str, version: str, participant_id: str, at: datetime) -> dict[str, Any]:
    return {
        "pk": pk,
        "sk": keys.NIK_SK,
        "type": "NIK",
        "participant_id": participant_id,
        "at": clock.iso(at),
        "version": version,
    }


def register(profile: Participant, guards: NikGuards, at: datetime) -> None:
    """Wave must be open, NIK never seen in any wave (under any key version in use); the
    training balance is credited in the same step."""
    pid, wave = profile["participant_id"], profile["wave"]
    codes = dynamo.transact(
        [
            {
                "ConditionCheck": {
                    "TableName": dynamo.table(),
                    "Key": dynamo.key(keys.wave(wave), keys.WAVE_SK),
                    "ConditionExpression": "#s = :open",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": dynamo.values(open=WaveStatus.OPEN),
                }
            },
            dynamo.put_new_request(guard_item(guards.current, guards.version, pid, at)),
            dynamo.put_new_request(dict(item(profile))),
            ledger.line_request(pid, "BALANCE_GRANTED", "BALANCE_GRANTED", config.TRAINING_BALANCE_IDR, at),
            *(_absent(pk) for pk in guards.all[1:]),
        ]
    )
    if codes is None:
        return
    if codes[0] == "ConditionalCheckFailed":
        raise errors.WaveClosed(f"wave {wave} is not open for registration")
    if codes[1] == "ConditionalCheckFailed" or "ConditionalCheckFailed" in codes[4:]:
        raise errors.DuplicateNik("this NIK already holds a Kartu Prakerja (one person, one card, across all waves)")
    raise RuntimeError(f"registration transaction cancelled: {codes}")


def get(participant_id: str) -> Participant | None:
    return dynamo.get(keys.participant(participant_id), keys.PROFILE)  # type: ignore[return-value]


def require(participant_id: str) -> Participant:
    profile = get(participant_id)
    if profile is None:
        raise errors.ParticipantNotFound(f"participant {participant_id} does not exist")
    return profile


def identifiers_of(profile: Participant) -> dict[str, Any]:
    """The clear identifiers of a stored profile (needs kms:Decrypt on the identifiers key)."""
    return identifiers.clear_identifiers(profile)


def items(participant_id: str) -> list[dynamo.Item]:
    """Everything stored under one participant (profile, purchases, entitlements, tokens, ledger, ...)."""
    return dynamo.partition(keys.participant(participant_id))


def set_execution_arn(participant_id: str, execution_arn: str) -> None:
    dynamo.client().update_item(
        TableName=dynamo.table(),
        Key=dynamo.key(keys.participant(participant_id), keys.PROFILE),
        UpdateExpression="SET execution_arn = :arn",
        ExpressionAttributeValues=dynamo.values(arn=execution_arn),
    )


def wave_page(
    wave: int, limit: int = 1000, start: dict[str, Any] | None = None
) -> tuple[list[Participant], dict[str, Any] | None]:
    """One page of a wave's participants (GSI2)."""
    return dynamo.page(schema.GSI2, f"{schema.GSI2_PK} = :w", dynamo.values(w=keys.wave(wave)), limit, start)  # type: ignore[return-value]


# --- standing -----------------------------------------------------------------------------------


def _profile_key(participant_id: str) -> dict[str, Any]:
    return dynamo.key(keys.participant(participant_id), keys.PROFILE)


def mark_revoking(participant_id: str, at: datetime) -> bool:
    """The deadline sweep's claim: only a participant who never bought can be revoked."""
    return dynamo.update(
        {
            "TableName": dynamo.table(),
            "Key": _profile_key(participant_id),
            "UpdateExpression": "SET #s = :revoking, revoking_at = :at",
            "ConditionExpression": "#s = :active AND attribute_not_exists(first_purchase_id) "
            "AND purchase_deadline < :at",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": dynamo.values(revoking=REVOKING, active=ACTIVE, at=clock.iso(at)),
        }
    )


def revoke_and_forfeit(participant_id: str, reason: str, at: datetime) -> int:
    """Revokes the participant and books the whole remaining balance as forfeited. Idempotent."""
    profile = require(participant_id)
    if profile["status"] == REVOKED:
        return 0
    balance = profile["balance_idr"]
    codes = dynamo.transact(
        [
            {
                "Update": {
                    "TableName": dynamo.table(),
                    "Key": _profile_key(participant_id),
                    "UpdateExpression": "SET #s = :revoked, revoked_at = :at, revocation_reason = :why, "
                    f"balance_idr = :zero, forfeited_idr = :bal REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
                    "ConditionExpression": "#s IN (:active, :revoking) AND balance_idr = :bal",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": dynamo.values(
                        revoked=REVOKED,
                        active=ACTIVE,
                        revoking=REVOKING,
                        at=clock.iso(at),
                        why=reason,
                        zero=0,
                        bal=balance,
                    ),
                }
            },
            ledger.line_request(participant_id, "FORFEIT", "BALANCE_FORFEITED", -balance, at, reason=reason),
        ]
    )
    if codes is not None:
        if (get(participant_id) or {}).get("status") == REVOKED:
            return 0
        raise RuntimeError(f"revocation transaction cancelled: {codes}")
    return balance


def forfeit_expired_balance(participant_id: str, at: datetime) -> int:
    """Unused training balance returns to the treasury at expiry. Idempotent."""
    balance = require(participant_id)["balance_idr"]
    transaction: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": dynamo.table(),
                "Key": _profile_key(participant_id),
                "UpdateExpression": "SET balance_idr = :zero, forfeited_idr = :bal "
                f"REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
                "ConditionExpression": "balance_idr = :bal AND attribute_not_exists(open_purchase_id)",
                "ExpressionAttributeValues": dynamo.values(zero=0, bal=balance),
            }
        }
    ]
    if balance:
        transaction.append(
            ledger.line_request(participant_id, "FORFEIT", "BALANCE_FORFEITED", -balance, at, reason="balance expired")
        )
    return 0 if dynamo.transact(transaction) is not None else balance


def mark_cancelled(participant_id: str, actor: str, reason: str, at: datetime) -> bool:
    """ACTIVE -> CANCELLED (an operator's cancellation). False when it was not ACTIVE."""
    return dynamo.update(
        {
            "TableName": dynamo.table(),
            "Key": _profile_key(participant_id),
            "UpdateExpression": "SET #s = :cancelled, cancelled_at = :at, cancelled_by = :actor, "
            "cancellation_reason = :why",
            "ConditionExpression": "#s = :active",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": dynamo.values(
                cancelled=CANCELLED, active=ACTIVE, at=clock.iso(at), actor=actor, why=reason
            ),
        }
    )
