"""The programme clock a local stack publishes, and how `prakerja ops` reads it.

A local stack's functions run on a programme clock (simulated days in `simulate`,
`--month-seconds` scaled time in `local up` and `simulate --serve`), while Step Functions
stamps its execution history with the wall clock. `prakerja ops` runs in another process,
so the stack publishes its clock, once, when it starts serving, as one item of its table:

  CLOCK / CLOCK   {"type": "CLOCK", "segments": "<JSON>"}

`segments` is a JSON list of [wall unix seconds, programme ISO time, rate], in wall-clock
order: from wall time w_i on, programme time is p_i + (w - w_i) * rate_i. A simulation
holds each programme day still while it works through it (rate 0, one segment per day);
serving runs it `30 days / --month-seconds` times faster than the wall clock. An operator
can read it with the stock AWS CLI (docs/operations.md).

A stack that publishes no such item (AWS) runs on the wall clock: programme time is
the wall clock (or, in a test's own process, prakerja_flow.clock's source).
prakerja/ops/table.py reads it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from prakerja_flow import clock
from prakerja_flow.data import keys, published_clock
from prakerja_flow.domain import programme_time
from prakerja_flow.domain.programme_time import Segment

PK, SK = keys.CLOCK_PK, keys.CLOCK_SK
__all__ = ["PK", "SK", "ProgrammeClock", "Segment", "SteppedClock", "publish", "segments_of"]


class ProgrammeClock:
    """Programme time of the stack `prakerja ops` talks to; with no segments, the wall clock."""

    def __init__(self, segments: Iterable[Segment] = ()):
        self._segments = tuple(sorted(segments, key=lambda s: s.wall))

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self._segments

    @property
    def published(self) -> bool:
        return bool(self.segments)

    def of_wall(self, moment: datetime) -> datetime:
        """The programme time at a wall-clock moment (a Step Functions timestamp)."""
        return programme_time.at(self.segments, moment.timestamp()) or moment

    def now(self) -> datetime:
        return self.of_wall(datetime.now(UTC)) if self.published else clock.now()

    def as_dict(self) -> dict:
        return {
            "published": self.published,
            "now": clock.iso(self.now()),
            "segments": [[s.wall, clock.iso(s.programme), s.rate] for s in self.segments],
        }


class SteppedClock(ProgrammeClock):
    """In the stack's own process (tests, screenshot scripts): its simulated clock itself,
    as it moves (cloud.SimulatedClock and its marks); nothing is published there."""

    def __init__(self, simulated):
        super().__init__()
        self._simulated = simulated

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(Segment(wall, programme, 0.0) for wall, programme in list(self._simulated.marks))

    def now(self) -> datetime:
        return self._simulated()


def segments_of(
    marks: Iterable[tuple[float, datetime]], serving_from: float, programme_then: datetime, rate: float
) -> list[Segment]:
    """A stepped clock's marks (wall, programme: each moment it jumped), then the scaled clock
    that took over at `serving_from`."""
    return [
        *(Segment(wall, programme, 0.0) for wall, programme in marks if wall < serving_from),
        Segment(serving_from, programme_then, rate),
    ]


def publish(segments: list[Segment]) -> None:
    """Written by the local stack (prakerja/local/server.py) when it starts serving."""
    published_clock.publish(segments)
