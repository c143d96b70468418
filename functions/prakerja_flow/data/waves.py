"""Waves (WAVE#<n> / WAVE): opened and closed by operators; registration checks the status
in its own transaction (participants.register)."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from .. import clock
from ..domain import errors
from ..domain.entities import Wave
from . import dynamo, keys


def get(number: int) -> Wave | None:
    return dynamo.get(keys.wave(number), keys.WAVE_SK)  # type: ignore[return-value]


def put_status(number: int, expected: str | None, status: str, at: datetime) -> Wave:
    """Sets the status the caller decided on, if the wave is still as the caller read it."""
    item = Wave(
        pk=keys.wave(number), sk=keys.WAVE_SK, type="WAVE", wave=number, status=status, updated_at=clock.iso(at)
    )
    condition = (
        {"ConditionExpression": "attribute_not_exists(pk)"}
        if expected is None
        else {
            "ConditionExpression": "#s = :expected",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": dynamo.values(expected=expected),
        }
    )
    try:
        dynamo.client().put_item(TableName=dynamo.table(), Item=dynamo.to_ddb(dict(item)), **condition)
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise errors.IllegalTransition(f"wave {number} changed concurrently; read it again") from None
        raise
    return item
