"""CSV of the lists (`ops executions --csv`, `ops audit --csv`, the console's exports):
one header line, then one line per row, the columns named here."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

EXECUTION_COLUMNS = (
    "participant_id",
    "wave",
    "status",
    "state",
    "in_state_since",
    "in_state_seconds",
    "started",
    "age_seconds",
    "cash_paid_idr",
    "execution_arn",
)
AUDIT_COLUMNS = ("at", "actor", "action", "reason", "participant_id", "wave", "details")


def _cell(value: object) -> object:
    if isinstance(value, float):
        return int(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return "" if value is None else value


def to_csv(rows: Iterable[dict], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def audit_rows(entries: Iterable[dict]) -> list[dict]:
    return [
        {
            **e,
            "participant_id": (e.get("details") or {}).get("participant_id"),
            "wave": (e.get("details") or {}).get("wave"),
        }
        for e in entries
    ]
