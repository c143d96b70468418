"""Task tokens of waiting executions (P#<id> / TOKEN#<stage>) and events that may arrive
before their token (P#<id> / INBOX#<stage>); services/events.py is the protocol."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import clock
from ..domain.entities import InboxItem, TokenItem
from . import dynamo, keys, schema


def put_token(participant_id: str, stage: str, token: str, at: datetime) -> None:
    item = TokenItem(
        pk=keys.participant(participant_id),
        sk=keys.token(stage),
        type="TOKEN",
        stage=stage,
        token=token,
        at=clock.iso(at),
    )
    dynamo.client().put_item(TableName=dynamo.table(), Item=dynamo.to_ddb(dict(item)))


def get_token(participant_id: str, stage: str) -> str | None:
    item = dynamo.get(keys.participant(participant_id), keys.token(stage))
    return item["token"] if item else None


def tokens(participant_id: str) -> list[TokenItem]:
    return dynamo.partition(keys.participant(participant_id), keys.TOKEN)  # type: ignore[return-value]


def delete_token_if(participant_id: str, stage: str, token: str) -> None:
    try:
        dynamo.client().delete_item(
            TableName=dynamo.table(),
            Key=dynamo.key(keys.participant(participant_id), keys.token(stage)),
            ConditionExpression="#t = :t",
            ExpressionAttributeNames={"#t": "token"},
            ExpressionAttributeValues=dynamo.values(t=token),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise


def item(participant_id: str, stage: str, event: dict[str, Any], at: datetime) -> InboxItem:
    return InboxItem(
        pk=keys.participant(participant_id),
        sk=keys.inbox(stage),
        type="INBOX",
        stage=stage,
        event_id=uuid.uuid4().hex,
        event=event,
        at=clock.iso(at),
    )


def put(
    participant_id: str,
    stage: str,
    event: dict[str, Any],
    at: datetime,
    only_if_absent: bool = False,
    redeliver: bool = False,
) -> None:
    """`redeliver`: the event could not be handed over (Step Functions throttled it) and is
    queued for the next deadline sweep (services/sweeps.py), which delivers it, so it never
    waits for a request that will not come."""
    new: dict[str, Any] = dict(item(participant_id, stage, event, at))
    if redeliver:
        new.update(_sweep_queue_fields(participant_id, stage, at))
    if only_if_absent:
        dynamo.put_new(new)  # an event already waiting there wins
    else:
        dynamo.client().put_item(TableName=dynamo.table(), Item=dynamo.to_ddb(new))


def _sweep_queue_fields(participant_id: str, stage: str, at: datetime) -> dict[str, str]:
    """What puts an inbox item in the deadline sweep's queue (services/sweeps.py)."""
    return {
        "participant_id": participant_id,
        schema.GSI1_PK: keys.queue(schema.Q_DEADLINES, participant_id),
        schema.GSI1_SK: keys.queue_position(clock.iso(at), participant_id, "INBOX", stage),
    }


def queue_for_sweep(participant_id: str, stage: str, at: datetime) -> None:
    """Queues the event waiting there for the next deadline sweep, as `put(..., redeliver=True)`
    does for a new one; nothing when no event waits."""
    fields = _sweep_queue_fields(participant_id, stage, at)
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=dynamo.key(keys.participant(participant_id), keys.inbox(stage)),
            UpdateExpression="SET participant_id = :p, #qk = :q, #qp = :pos",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#qk": schema.GSI1_PK, "#qp": schema.GSI1_SK},
            ExpressionAttributeValues=dynamo.values(
                p=participant_id, q=fields[schema.GSI1_PK], pos=fields[schema.GSI1_SK]
            ),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise


def get(participant_id: str, stage: str) -> InboxItem | None:
    return dynamo.get(keys.participant(participant_id), keys.inbox(stage))  # type: ignore[return-value]


def claim(participant_id: str, stage: str, event_id: str) -> bool:
    """Deleting the event is how a deliverer claims it: only one can."""
    try:
        dynamo.client().delete_item(
            TableName=dynamo.table(),
            Key=dynamo.key(keys.participant(participant_id), keys.inbox(stage)),
            ConditionExpression="event_id = :e",
            ExpressionAttributeValues=dynamo.values(e=event_id),
        )
        return True
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise


def leave_redelivery(participant_id: str, stage: str, event_id: str) -> None:
    """Takes a waiting event out of the sweep's queue (it stays in the inbox for the
    execution to find); nothing if it was delivered (deleted) or replaced meanwhile."""
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=dynamo.key(keys.participant(participant_id), keys.inbox(stage)),
            UpdateExpression=f"REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
            ConditionExpression="event_id = :e",
            ExpressionAttributeValues=dynamo.values(e=event_id),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
