"""The audit log of operator actions (AUDIT#<yyyy-mm-dd> / <at>#<ns>#<random>): appended
after an action took effect, never overwritten, read by day."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from .. import clock
from ..domain.entities import AuditEntry
from . import dynamo, keys


def sort_key(at: datetime, wall_ns: int | None = None, suffix: str | None = None) -> str:
    """Sort key of an audit entry: `<at, microseconds>#<wall-clock ns>#<random>`.

    `at` comes from the injectable clock, which has 1-second precision (and is simulated
    locally), so two actions in the same second share it. The wall-clock nanoseconds
    order them as they were written (across processes as far as the clocks agree), and
    the random suffix keeps two writers in the same nanosecond apart. Fixed widths, so
    the string order is the time order."""
    moment = at.astimezone(UTC)
    wall = time.time_ns() if wall_ns is None else wall_ns
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z#{wall:020d}#{suffix or secrets.token_hex(4)}"


def append(actor: str, action: str, reason: str, at: datetime, **details: Any) -> AuditEntry:
    """Appends one operator action to the day's audit log. The put never overwrites:
    on the (astronomically unlikely) clash of keys it takes a new key and tries again."""
    for _ in range(3):
        entry = AuditEntry(
            pk=keys.audit_day(clock.iso(at)[:10]),
            sk=sort_key(at),
            type="AUDIT",
            actor=actor,
            action=action,
            reason=reason,
            at=clock.iso(at),
            details=details,
        )
        if dynamo.put_new(dict(entry)):
            return entry
    raise RuntimeError("could not find a free audit log key after 3 attempts")


def day(date: str) -> list[AuditEntry]:
    """Operator actions of one day (yyyy-mm-dd), oldest first."""
    return dynamo.partition(keys.audit_day(date))  # type: ignore[return-value]
