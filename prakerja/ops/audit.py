"""`ops audit`: the audit log (AUDIT#<yyyy-mm-dd> partitions, one per programme day) read by
day or range of days, by actor, by participant. One query per day, in parallel."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from prakerja_flow import clock
from prakerja_flow.data import audit as audit_data

from .aws import OpsUsageError, Target

MAX_DAYS = 400  # one query each: a range longer than a programme is a typo
WORKERS = 16


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OpsUsageError(f"{option} {text!r} is not a day like 2020-08-17") from None


def days(since: date, until: date) -> list[str]:
    if until < since:
        raise OpsUsageError(f"--until {until} is before --since {since}")
    count = (until - since).days + 1
    if count > MAX_DAYS:
        raise OpsUsageError(f"{count} days asked for; at most {MAX_DAYS} at a time")
    return [(since + timedelta(days=n)).isoformat() for n in range(count)]


def concerns(entry: dict, participant_id: str) -> bool:
    details = entry.get("details") or {}
    return details.get("participant_id") == participant_id or str(details.get("execution_arn", "")).endswith(
        f":{participant_id}"
    )


class PastDays:
    """The audit log of days that have ended, kept once read (the console keeps one; each CLI
    command reads afresh). An entry is written at the programme time it happens, so an ended
    day gets no more; but it is kept only SETTLED_DAYS after it ended: an action stamped just
    before midnight is written a moment later, perhaps by another process whose clock is a
    little behind (on `local up` a programme day is two seconds)."""

    SETTLED_DAYS = 1

    def __init__(self):
        self._days: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    def entries(self, day: str, today: date) -> list[dict]:
        with self._lock:
            if day in self._days:
                return self._days[day]
        found = audit_data.day(day)
        if day < (today - timedelta(days=self.SETTLED_DAYS)).isoformat():
            with self._lock:
                self._days[day] = found
        return found


def read(
    since: date,
    until: date,
    actor: str | None = None,
    participant_id: str | None = None,
    kept: PastDays | None = None,
    today: date | None = None,
) -> list[dict]:
    """Operator actions in [since, until] (programme days), oldest first, as written; with
    `kept`, ended days come from it (`today`, the programme's, says which have ended)."""
    if kept is not None and today is None:
        raise ValueError("reading through kept days needs today's date")
    day_of = (lambda day: kept.entries(day, today)) if kept is not None else audit_data.day
    with ThreadPoolExecutor(WORKERS) as pool:
        entries = [e for day in pool.map(day_of, days(since, until)) for e in day]
    entries.sort(key=lambda e: e["sk"])
    return [
        {k: v for k, v in e.items() if k not in ("pk", "type")}
        for e in entries
        if (actor is None or e.get("actor") == actor) and (participant_id is None or concerns(e, participant_id))
    ]


def for_participant(
    target: Target, participant_id: str, accepted_at: str | None, kept: PastDays | None = None
) -> list[dict]:
    """Every operator action on this participant since they registered (at most MAX_DAYS back)."""
    today = target.now().date()
    first = clock.parse(accepted_at).date() if accepted_at else today
    return read(
        max(first, today - timedelta(days=MAX_DAYS - 1)), today, participant_id=participant_id, kept=kept, today=today
    )


def report(
    target: Target,
    day: str | None = None,
    since: str | None = None,
    until: str | None = None,
    actor: str | None = None,
    participant_id: str | None = None,
    kept: PastDays | None = None,
) -> dict:
    today = target.now().date()
    if day and (since or until):
        raise OpsUsageError("give --day, or --since/--until, not both")
    if day:
        first = last = parse_day(day, "--day")
    else:  # default: today (programme time); --until alone: that one day
        last = parse_day(until, "--until") if until else today
        first = parse_day(since, "--since") if since else min(today, last)
    entries = read(first, last, actor, participant_id, kept, today)
    return {
        "since": first.isoformat(),
        "until": last.isoformat(),
        "actor": actor,
        "participant_id": participant_id,
        "entries": entries,
        "count": len(entries),
    }
