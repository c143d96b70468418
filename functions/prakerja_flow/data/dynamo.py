"""DynamoDB plumbing: one thread-safe low-level client, (de)serialisation, and the
translation of failed conditions into "no" answers the callers can act on."""

from __future__ import annotations

import hashlib
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from .. import config, settings
from . import clients, schema

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def client():
    return clients.client("dynamodb")


def table() -> str:
    return settings.table_name()


def request_table() -> str:
    """Idempotency records and replay nonces: short-lived, so kept apart with a TTL."""
    return settings.table_name() + schema.IDEMPOTENCY_TABLE_SUFFIX


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def from_ddb(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    # DynamoDB numbers come back as Decimal; our numbers are integer rupiah and counts.
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def values(**kwargs: Any) -> dict[str, Any]:
    return {f":{k}": _serializer.serialize(v) for k, v in kwargs.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def is_condition_failure(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


def cancellation_codes(error: ClientError) -> list[str]:
    """Per-item reasons of a cancelled transaction, in request order."""
    reasons = error.response.get("CancellationReasons") or []
    return [r.get("Code", "None") for r in reasons]


def shard_of(participant_id: str) -> int:
    return int(hashlib.sha256(participant_id.encode()).hexdigest(), 16) % config.QUEUE_SHARDS


def queue_key(queue: str, participant_id: str) -> str:
    return f"{queue}#{shard_of(participant_id)}"


def nik_hash(nik: str) -> str:
    return hashlib.sha256(f"prakerja-nik:{nik}".encode()).hexdigest()
