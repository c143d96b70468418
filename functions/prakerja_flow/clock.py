"""The one source of "now". In AWS it is the wall clock (or a schedule's own
scheduled time); the local runtime swaps in a simulated clock so a test can jump a
month in milliseconds. Times are timezone-aware UTC and stored as fixed-width ISO
strings, so that string order is time order in DynamoDB sort keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Field of a scheduled job's input that carries the schedule's own time
# (EventBridge Scheduler fills it from <aws.scheduler.scheduled-time>).
SCHEDULED_TIME_FIELD = "scheduled_time"


def now() -> datetime:
    return _source() if _source else datetime.now(UTC).replace(microsecond=0)


def set_source(source: Callable[[], datetime] | None) -> None:
    global _source
    _source = source


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def from_event(event: dict) -> datetime:
    """A scheduled job runs "as of" its scheduled time when the scheduler gives one."""
    scheduled = (event or {}).get(SCHEDULED_TIME_FIELD)
    return parse(scheduled) if scheduled else now()
