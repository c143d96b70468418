"""How late the payments of a simulated programme were paid (issue 14, item 5).

Per kind, the days from the moment a payment fell due (a monthly payout's due date; a
survey payment's submission) to the moment the provider paid it, as p50, p95 and max,
split by cause:

- `participant`: it fell due while the participant's own cause held it (the payout account
  not KYC-verified yet, or in someone else's name): the system was right to wait;
- `system`: everything else (a backlog, throttling, a provider outage or fault): lateness the
  programme owes the participant.

Payments never paid are counted by the same split. `never_attempted` lists every payment
that fell due before the last payout run and that no payout run ever looked at (still
SCHEDULED): the one lateness that is a defect whatever its size; `simulate` then exits 1.
Pure: `simulate` hands in the entitlements and what it knows of its personas."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from prakerja_flow import clock
from prakerja_flow.domain import incentives as inc

CAUSES = ("participant", "system")
DAY_SECONDS = 86_400


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted `values` (0 < share <= 1)."""
    return values[max(0, math.ceil(share * len(values)) - 1)]


def _figures(days: list[float]) -> dict:
    days = sorted(days)
    if not days:
        return {"count": 0, "p50_days": None, "p95_days": None, "max_days": None}
    return {
        "count": len(days),
        "p50_days": round(percentile(days, 0.50), 2),
        "p95_days": round(percentile(days, 0.95), 2),
        "max_days": round(days[-1], 2),
    }


def measure(
    entitlements: Iterable[Mapping],
    own_cause_until: Mapping[str, datetime | None],
    last_run: datetime,
) -> dict:
    """`own_cause_until[participant_id]`: when the participant's own cause stopped holding
    their payments (None: there was none; datetime.max: it never stopped). `last_run`: the
    time of the last payout run of the simulation."""
    late: dict[str, dict[str, list[float]]] = {
        kind: {c: [] for c in CAUSES} for kind in (inc.POST_TRAINING, inc.SURVEY)
    }
    unpaid: dict[str, dict[str, int]] = {kind: dict.fromkeys(CAUSES, 0) for kind in late}
    never_attempted: list[str] = []
    for ent in entitlements:
        due_text = ent.get("due_at")
        if not due_text or ent["status"] in (inc.CANCELLED, inc.EXPIRED):
            continue  # not due (a survey never filled in), or never to be paid: not late
        due = clock.parse(due_text)
        if due > last_run:
            continue  # falls due after the last run: not yet late
        held_until = own_cause_until.get(ent["participant_id"])
        cause = "participant" if held_until is not None and due < held_until else "system"
        if ent["status"] == inc.PAID:
            late[ent["kind"]][cause].append((clock.parse(ent["paid_at"]) - due).total_seconds() / DAY_SECONDS)
            continue
        unpaid[ent["kind"]][cause] += 1
        if ent["status"] == inc.SCHEDULED:
            never_attempted.append(ent["idempotency_key"])
    return {
        **{
            kind: {cause: {**_figures(days), "unpaid": unpaid[kind][cause]} for cause, days in by_cause.items()}
            for kind, by_cause in late.items()
        },
        "never_attempted": sorted(never_attempted),
    }
