"""Programme time as a list of segments, pure.

A stack that runs on a programme clock (the local runtime always; a development stack
deployed with `-c programmeClock=true`) publishes it as segments: from wall time w_i on,
programme time is p_i + (w - w_i) * rate_i. A simulation holds each day still (rate 0);
`local up` runs it faster than the wall clock; a development stack runs at the wall
clock's own rate (1) and is moved ahead by an operator (`prakerja ops clock advance`)
so that a test participant's survey windows open without waiting months. Programme time
never runs backwards: the money's timestamps and deadlines are compared as strings."""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import clock


@dataclass(frozen=True)
class Segment:
    wall: float  # unix seconds
    programme: datetime
    rate: float  # programme seconds per wall second


def at(segments: Sequence[Segment], wall: float) -> datetime | None:
    """Programme time at a wall-clock moment (unix seconds); None with no segments (the wall
    clock then). Before the first segment: its programme moment."""
    if not segments:
        return None
    index = bisect.bisect_right([s.wall for s in segments], wall) - 1
    if index < 0:
        return segments[0].programme
    segment = segments[index]
    return (segment.programme + timedelta(seconds=(wall - segment.wall) * segment.rate)).replace(microsecond=0)


def advanced(
    segments: Sequence[Segment], wall: float, to: datetime, unpublished: datetime | None = None
) -> list[Segment]:
    """The segments after moving programme time to `to` at wall time `wall`, running on at
    the wall clock's rate from there. Refused when `to` is not ahead of programme time now:
    the segments' time, or with none published `unpublished` (default: the wall clock)."""
    current = at(segments, wall) or unpublished or datetime.fromtimestamp(wall, to.tzinfo).replace(microsecond=0)
    if to <= current:
        raise ValueError(
            f"the programme clock is at {clock.iso(current)}: it only moves forward, "
            f"and {clock.iso(to)} is not after that"
        )
    return [*sorted(segments, key=lambda s: s.wall), Segment(wall, to, 1.0)]


def encode(segments: Sequence[Segment]) -> str:
    return json.dumps([[s.wall, clock.iso(s.programme), s.rate] for s in segments])


def decode(text: str | None) -> tuple[Segment, ...]:
    raw = json.loads(text or "[]")
    return tuple(sorted((Segment(float(w), clock.parse(p), float(r)) for w, p, r in raw), key=lambda s: s.wall))
