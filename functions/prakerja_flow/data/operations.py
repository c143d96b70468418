"""Table access that only operators need: the programme-wide payout pause, the audit
log, a whole-table view of who waits where, and the writes behind `prakerja ops`
actions. Reuses repository.py and dynamo.py; nothing here moves money.

Items touched (see schema.py):
  PAUSE   / PAUSE          {"paused": bool, "actor", "reason", "at"}; read by repository.get_pause
  AUDIT#<yyyy-mm-dd> / ... written by repository.audit, listed here
  P#<id>  / PROFILE        status CANCELLED (operator cancellation)
  P#<id>  / ENT#...        FAILED -> DUE (retry), not-yet-sent -> CANCELLED
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import clock
from . import repository as repo
from . import schema
from .dynamo import client, from_ddb, is_condition_failure, key, queue_key, table, to_ddb, values

PAUSE_PK = PAUSE_SK = "PAUSE"


# --- programme-wide payout pause --------------------------------------------------------


def set_pause(paused: bool, actor: str, reason: str, at: datetime) -> dict:
    item = {"pk": PAUSE_PK, "sk": PAUSE_SK, "type": "PAUSE", "paused": bool(paused), "actor": actor, "reason": reason,
            "at": clock.iso(at)}
    client().put_item(TableName=table(), Item=to_ddb(item))
    return item


# --- audit log ----------------------------------------------------------------------------


def list_audit(day: str) -> list[dict]:
    """Operator actions of one day (yyyy-mm-dd), oldest first."""
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": values(pk=f"AUDIT#{day}"),
        "ConsistentRead": True,
    }
    items: list[dict] = []
    while True:
        out = client().query(**kwargs)
        items.extend(from_ddb(i) for i in out.get("Items", []))
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


# --- who waits where ----------------------------------------------------------------------------


def scan_tokens(page_size: int | None = None) -> Iterator[dict]:
    """Every TOKEN item (one per waiting execution: pk, stage, at). One filtered,
    projected scan serves thousands of participants; an operator tool may scan, the
    scheduled jobs never do."""
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "FilterExpression": "begins_with(sk, :token)",
        "ProjectionExpression": "pk, sk, stage, #at",
        "ExpressionAttributeNames": {"#at": "at"},
        "ExpressionAttributeValues": values(token="TOKEN#"),
    }
    if page_size:  # otherwise DynamoDB's own 1 MB pages
        kwargs["Limit"] = page_size
    while True:
        out = client().scan(**kwargs)
        for raw in out.get("Items", []):
            yield from_ddb(raw)
        if "LastEvaluatedKey" not in out:
            return
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def get_profiles(participant_ids: list[str]) -> dict[str, dict]:
    """participant id -> profile (wave, status, accepted_at), 100 keys per BatchGetItem."""
    found: dict[str, dict] = {}
    ids = list(dict.fromkeys(participant_ids))
    for start in range(0, len(ids), 100):
        request = {table(): {"Keys": [key(f"P#{pid}", "PROFILE") for pid in ids[start:start + 100]],
                             "ProjectionExpression": "participant_id, wave, #s, accepted_at",
                             "ExpressionAttributeNames": {"#s": "status"}}}
        while request:
            out = client().batch_get_item(RequestItems=request)
            for raw in out.get("Responses", {}).get(table(), []):
                item = from_ddb(raw)
                found[item["participant_id"]] = item
            request = out.get("UnprocessedKeys") or None
    return found


def wave_profiles(wave: int) -> dict[str, dict]:
    """participant id -> profile for one wave, through GSI2 (repository.list_wave_participants)."""
    found: dict[str, dict] = {}
    start = None
    while True:
        page, start = repo.list_wave_participants(wave, 1000, start)
        found.update((p["participant_id"], p) for p in page)
        if not start:
            return found


# --- operator writes -----------------------------------------------------------------------------


def make_entitlement_due_now(ent: dict, at: datetime) -> dict | None:
    """FAILED -> DUE, in the payout queue (put back if it had left it). The failure code
    and reason stay on the item as the record of what went wrong; None if it changed meanwhile."""
    pid = ent["participant_id"]
    requeue = {} if ent.get(schema.GSI1_PK) else {
        schema.GSI1_PK: queue_key(schema.Q_PAYABLE, pid),
        schema.GSI1_SK: f"{clock.iso(at)}#{pid}#{ent['kind']}#{ent['sequence']}",
    }
    return repo.transition_entitlement(ent, "DUE", at, retry_requested_at=clock.iso(at), **requeue)


def mark_cancelled(participant_id: str, actor: str, reason: str, at: datetime) -> bool:
    """ACTIVE -> CANCELLED on the profile. False when it was not ACTIVE."""
    try:
        client().update_item(
            TableName=table(),
            Key=key(f"P#{participant_id}", "PROFILE"),
            UpdateExpression="SET #s = :cancelled, cancelled_at = :at, cancelled_by = :actor, cancellation_reason = :why",
            ConditionExpression="#s = :active",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values(cancelled=repo.CANCELLED, active=repo.ACTIVE, at=clock.iso(at), actor=actor, why=reason),
        )
        return True
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
