"""The append-only money ledger: one line per movement of the training balance or of cash,
under the participant (P#<id> / LEDGER#<entry key>). A line is only ever written inside the
transaction that makes the movement, and its key makes the same movement impossible to
book twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import clock
from ..domain.entities import LedgerLine
from . import dynamo, keys


def line_request(
    participant_id: str, entry_key: str, entry: str, amount_idr: int, at: datetime, **extra: Any
) -> dict[str, Any]:
    """The Put of one ledger line, as a transaction item."""
    line = LedgerLine(
        pk=keys.participant(participant_id),
        sk=keys.ledger(entry_key),
        type="LEDGER",
        participant_id=participant_id,
        entry=entry,
        amount_idr=amount_idr,
        at=clock.iso(at),
    )
    return dynamo.put_new_request({**line, **extra})


def lines(participant_id: str) -> list[LedgerLine]:
    return dynamo.partition(keys.participant(participant_id), keys.LEDGER)  # type: ignore[return-value]
