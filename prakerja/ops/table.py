"""Reads of the table that only `prakerja ops` (and its console) make, on the data
layer's client (prakerja_flow.data.dynamo): which waves exist, how many registered in
each, the payout queue as the payout run sees it, the pauses with who set them, and the
programme clock a local stack publishes. Nothing here writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from prakerja_flow import clock, config
from prakerja_flow.data import dynamo, keys, schema
from prakerja_flow.data import published_clock as published

from ..local.programme_clock import ProgrammeClock

BATCH_KEYS = 100  # BatchGetItem's limit
PAUSE_PK = "PAUSE"
QUEUE_WORKERS = 8


def published_clock() -> ProgrammeClock:
    """The clock the stack publishes (data/published_clock.py); the wall clock when none."""
    return ProgrammeClock(published.read())


def _batch_get(wanted: list[dict], projection: str | None = None, names: dict | None = None) -> list[dict]:
    found: list[dict] = []
    for start in range(0, len(wanted), BATCH_KEYS):
        request: dict[str, Any] = {"Keys": wanted[start : start + BATCH_KEYS]}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = names
        pending: dict | None = {dynamo.table(): request}
        while pending:
            out = dynamo.client().batch_get_item(RequestItems=pending)
            found.extend(dynamo.from_ddb(raw) for raw in out.get("Responses", {}).get(dynamo.table(), []))
            pending = out.get("UnprocessedKeys") or None
    return found


def waves() -> dict[int, dict]:
    """wave number -> its WAVE item, for every wave that exists (WAVE_MIN..WAVE_MAX, by batch)."""
    wanted = [dynamo.key(keys.wave(n), keys.WAVE_SK) for n in range(config.WAVE_MIN, config.WAVE_MAX + 1)]
    return {int(item["wave"]): item for item in _batch_get(wanted)}


def _count(**query: Any) -> int:
    kwargs: dict[str, Any] = {"TableName": dynamo.table(), "Select": "COUNT", **query}
    total = 0
    while True:
        out = dynamo.client().query(**kwargs)
        total += out.get("Count", 0)
        if "LastEvaluatedKey" not in out:
            return total
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def wave_intake(wave: int) -> int:
    """How many registered in this wave (GSI2, counted, no items read back)."""
    return _count(
        IndexName=schema.GSI2,
        KeyConditionExpression=f"{schema.GSI2_PK} = :w",
        ExpressionAttributeValues=dynamo.values(w=f"WAVE#{wave}"),
    )


def _queue_shard(shard: int, until: datetime) -> list[dict]:
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "IndexName": schema.GSI1,
        "KeyConditionExpression": f"{schema.GSI1_PK} = :q AND {schema.GSI1_SK} <= :until",
        "ExpressionAttributeValues": dynamo.values(q=f"{schema.Q_PAYABLE}#{shard}", until=f"{clock.iso(until)}#~"),
    }
    items: list[dict] = []
    while True:
        out = dynamo.client().query(**kwargs)
        items.extend(dynamo.from_ddb(raw) for raw in out.get("Items", []))
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def payable_until(until: datetime) -> list[dict]:
    """Every entitlement in the payout queue due at or before `until`: exactly what a payout
    run started then works through (DUE, SCHEDULED now due, FAILED to retry, SENT to
    settle, PAID to resume). Queries of the queue's shards, in parallel; never a scan."""
    with ThreadPoolExecutor(QUEUE_WORKERS) as pool:
        return [
            item for shard in pool.map(lambda s: _queue_shard(s, until), range(config.QUEUE_SHARDS)) for item in shard
        ]


def scheduled_after(moment: datetime) -> int:
    """Entitlements in the payout queue that fall due after `moment` (counted)."""
    return sum(
        _count(
            IndexName=schema.GSI1,
            KeyConditionExpression=f"{schema.GSI1_PK} = :q AND {schema.GSI1_SK} > :after",
            ExpressionAttributeValues=dynamo.values(q=f"{schema.Q_PAYABLE}#{shard}", after=f"{clock.iso(moment)}#~"),
        )
        for shard in range(config.QUEUE_SHARDS)
    )


def pauses() -> list[dict]:
    """The PAUSE partition: the programme-wide pause (sk PAUSE) and each wave's (sk WAVE#n),
    paused or not, with who set them, when and why."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": dynamo.values(pk=PAUSE_PK),
        "ConsistentRead": True,
    }
    items: list[dict] = []
    while True:
        out = dynamo.client().query(**kwargs)
        items.extend(dynamo.from_ddb(raw) for raw in out.get("Items", []))
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def profiles(participant_ids: list[str]) -> dict[str, dict]:
    """participant id -> the profile fields the lists show (wave, status, cash paid, dates)."""
    wanted = [dynamo.key(keys.participant(pid), keys.PROFILE) for pid in dict.fromkeys(participant_ids)]
    # ... and what tells how a finished execution ended (reads.final_state).
    fields = "participant_id, wave, #s, accepted_at, cash_paid_idr, cancelled_at, revoked_at"
    ended = "rating_window_closed_at, incentive_purchase_id, lifecycle_waits"
    items = _batch_get(wanted, f"{fields}, {ended}", {"#s": "status"})
    return {item["participant_id"]: item for item in items}
