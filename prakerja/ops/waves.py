"""Waves as an operator sees them: status, intake (how many registered), the payout pause
and, given the execution rows, where each wave's participants are."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from . import table
from .aws import Target


def wave_pauses() -> dict[int, dict]:
    """wave -> its pause item (paused or not, who, when, why): one query of a tiny partition."""
    return {int(p["wave"]): p for p in table.pauses() if p["sk"].startswith("WAVE#")}


def intake(numbers: Iterable[int]) -> dict[int, int]:
    return {n: table.wave_intake(n) for n in numbers}


def waves_report(target: Target, rows: Iterable[dict] | None = None, counted: dict[int, int] | None = None) -> dict:
    """`counted`: wave -> intake as counted already (the console's snapshot); the rest counted now."""
    items = table.waves()
    paused = wave_pauses()
    states: dict[int, Counter] = defaultdict(Counter)
    for row in rows or ():
        if row.get("wave") is not None:
            states[int(row["wave"])][row["state"] or "?"] += 1
    numbers = sorted(set(items) | set(states))
    return {
        "waves": [
            {
                "wave": n,
                "status": (items.get(n) or {}).get("status", "UNKNOWN"),
                "updated_at": (items.get(n) or {}).get("updated_at"),
                "intake": counted[n] if counted and n in counted else table.wave_intake(n),
                "payouts_paused": bool((paused.get(n) or {}).get("paused")),
                "pause": {k: paused[n].get(k) for k in ("paused", "actor", "reason", "at")} if n in paused else None,
                "states": dict(sorted(states[n].items())) if rows is not None else None,
            }
            for n in numbers
        ]
    }
