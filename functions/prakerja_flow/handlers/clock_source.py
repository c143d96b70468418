"""Which clock a deployed function's "now" is.

In production, the wall clock (and a scheduled job's own scheduled time). A development
stack deployed with `-c programmeClock=true` sets PROGRAMME_CLOCK=true in its functions'
environment (infra/environment.py refuses it for any other stack): their "now" is then
the programme clock the stack publishes in its table (data/published_clock.py), which
`prakerja ops clock advance` moves forward, so that an integrator (and the deployed
end-to-end suite) can take a test participant through survey windows that open months
after the training without waiting for them. The published item is read at most once
per config.PUBLISHED_CLOCK_MAX_AGE per function instance; until anything is published,
programme time is the wall clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from .. import clock, config, settings
from ..data import published_clock
from ..domain import programme_time
from ..domain.programme_time import Segment

_read: dict[str, object] = {"segments": (), "at": float("-inf")}


def install() -> None:
    """Called once when a handler module is loaded; nothing happens unless configured."""
    if settings.current().programme_clock:
        clock.set_source(published_now)


def published_now() -> datetime:
    if time.monotonic() - float(_read["at"]) >= config.PUBLISHED_CLOCK_MAX_AGE.total_seconds():  # type: ignore[arg-type]
        _read["segments"], _read["at"] = published_clock.read(), time.monotonic()
    segments: tuple[Segment, ...] = _read["segments"]  # type: ignore[assignment]
    wall = datetime.now(UTC)
    return programme_time.at(segments, wall.timestamp()) or wall.replace(microsecond=0)
