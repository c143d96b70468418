"""DynamoDB plumbing: one thread-safe low-level client, (de)serialisation, the one way
to page through results, transactions, and the translation of failed conditions into
"no" answers the callers can act on. Keys are built in keys.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, overload

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from .. import settings
from . import clients, schema

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]


def client() -> Any:
    return clients.client("dynamodb")


def table() -> str:
    return settings.table_name()


def request_table() -> str:
    """Idempotency records and replay nonces: short-lived, so kept apart with a TTL."""
    return settings.table_name() + schema.IDEMPOTENCY_TABLE_SUFFIX


def to_ddb(item: Item) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


@overload
def from_ddb(item: dict[str, Any]) -> Item: ...
@overload
def from_ddb(item: None) -> None: ...
def from_ddb(item: dict[str, Any] | None) -> Item | None:
    if item is None:
        return None
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    # DynamoDB numbers come back as Decimal; our numbers are integer rupiah and counts.
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
    return str(error.response.get("Error", {}).get("Code", ""))


def is_condition_failure(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


def cancellation_codes(error: ClientError) -> list[str]:
    """Per-item reasons of a cancelled transaction, in request order."""
    reasons = error.response.get("CancellationReasons") or []
    return [r.get("Code", "None") for r in reasons]


# --- reads --------------------------------------------------------------------------------------


def leave_queue(item: Mapping[str, Any]) -> None:
    """Takes an item out of its work queue (GSI1): it stays, no longer listed as due."""
    client().update_item(
        TableName=table(),
        Key=key(item["pk"], item["sk"]),
        UpdateExpression=f"REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
    )


def get(pk: str, sk: str) -> Item | None:
    raw: dict[str, Any] | None = client().get_item(TableName=table(), Key=key(pk, sk), ConsistentRead=True).get("Item")
    return from_ddb(raw)


def items(operation: str, **request: Any) -> Iterator[Item]:
    """Every item of a Query or Scan, all pages (boto3's paginator follows LastEvaluatedKey)."""
    for page in client().get_paginator(operation).paginate(**request):
        for raw in page.get("Items", []):
            yield from_ddb(raw)


def partition(pk: str, sk_prefix: str = "") -> list[Item]:
    """A whole partition, or the items whose sort key starts with `sk_prefix`, in sort-key order."""
    condition = "pk = :pk AND begins_with(sk, :prefix)" if sk_prefix else "pk = :pk"
    vals = values(pk=pk, prefix=sk_prefix) if sk_prefix else values(pk=pk)
    return list(
        items(
            "query",
            TableName=table(),
            KeyConditionExpression=condition,
            ExpressionAttributeValues=vals,
            ConsistentRead=True,
        )
    )


def page(
    index: str, key_condition: str, vals: dict[str, Any], limit: int, start: dict[str, Any] | None = None
) -> tuple[list[Item], dict[str, Any] | None]:
    """One page of an index query: the jobs process a page at a time and stop between pages."""
    request: dict[str, Any] = {
        "TableName": table(),
        "IndexName": index,
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": vals,
        "Limit": limit,
    }
    if start:
        request["ExclusiveStartKey"] = start
    out = client().query(**request)
    return [from_ddb(i) for i in out.get("Items", [])], out.get("LastEvaluatedKey")


# --- writes ----------------------------------------------------------------------------------


def put_new(item: Item) -> bool:
    """Puts an item that must not exist yet; False when it does."""
    try:
        client().put_item(TableName=table(), Item=to_ddb(item), ConditionExpression="attribute_not_exists(pk)")
        return True
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise


def put_new_request(item: Item) -> dict[str, Any]:
    """The same as a transaction item."""
    return {"Put": {"TableName": table(), "Item": to_ddb(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def update(request: dict[str, Any]) -> bool:
    """A conditional UpdateItem; False when its condition failed (nothing written)."""
    try:
        client().update_item(**request)
        return True
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise


def transact(transaction: list[dict[str, Any]]) -> list[str] | None:
    """Runs a transaction. Returns None on success, or the per-item cancellation codes."""
    try:
        client().transact_write_items(TransactItems=transaction)
        return None
    except ClientError as error:
        if error_code(error) == "TransactionCanceledException":
            return cancellation_codes(error)
        raise
