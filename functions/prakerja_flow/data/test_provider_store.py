"""The test provider's own table (development stacks only; handlers/test_provider.py):
its transfers by idempotency key and its statement, one line per transfer attempt.

  TRANSFER#<idempotency key> / TRANSFER   the transfer record and the request body it answered
  STATEMENT / <at>#<transfer id>#<n>      one statement line (ordered by time)"""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

from botocore.exceptions import ClientError

from .. import settings
from .dynamo import client, from_ddb, is_condition_failure, key, to_ddb, values

ENV_TABLE = settings.ENV_TEST_PROVIDER_TABLE
STATEMENT_PK = "STATEMENT"


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments (infra/stacks/test_provider.py builds the same keys)."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _table() -> str:
    name = settings.current().test_provider_table
    if not name:
        raise RuntimeError(f"{ENV_TABLE} is not set")
    return name


def _transfer_key(idempotency_key: str) -> dict[str, Any]:
    return key(f"TRANSFER#{idempotency_key}", "TRANSFER")


def get_transfer(idempotency_key: str) -> dict[str, Any] | None:
    out = client().get_item(TableName=_table(), Key=_transfer_key(idempotency_key), ConsistentRead=True)
    item = from_ddb(out.get("Item"))
    return None if item is None else {"record": json.loads(item["record"]), "request": json.loads(item["request"])}


def put_transfer(idempotency_key: str, record: dict[str, Any], request: dict[str, Any]) -> bool:
    """Stores a new transfer; False when the key is already known (nothing written)."""
    item = {
        **{k: v["S"] for k, v in _transfer_key(idempotency_key).items()},
        "record": json.dumps(record, sort_keys=True),
        "request": json.dumps(request, sort_keys=True),
    }
    try:
        client().put_item(TableName=_table(), Item=to_ddb(item), ConditionExpression="attribute_not_exists(pk)")
        return True
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise


def add_line(line: dict[str, Any]) -> None:
    # Wall-clock nanoseconds after the (1-second) `at`: lines of one second keep the order
    # they were written in (a random part alone made a transfer's replay sort before it).
    sk = f"{line['at']}#{time.time_ns():020d}#{line['transfer_id']}#{secrets.token_hex(4)}"
    client().put_item(
        TableName=_table(), Item=to_ddb({"pk": STATEMENT_PK, "sk": sk, "line": json.dumps(line, sort_keys=True)})
    )


def statement(since: str, until: str, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Lines with since <= at < until, oldest first, a page at a time."""
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        # Every "<at>#..." with at < until sorts before `until` itself; lines at `until` are dropped below.
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :since AND :until",
        "ExpressionAttributeValues": values(pk=STATEMENT_PK, since=since, until=until),
        "ConsistentRead": True,
        "Limit": limit,
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(cursor.encode()))  # our own cursor
    out = client().query(**kwargs)
    lines = [json.loads(from_ddb(raw)["line"]) for raw in out.get("Items", [])]
    last = out.get("LastEvaluatedKey")
    next_cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
    return [line for line in lines if line["at"] < until], next_cursor
