"""The programme clock a stack publishes: one item of its table,

  CLOCK / CLOCK   {"type": "CLOCK", "segments": "<JSON>", "published_at": ...}

(domain/programme_time.py says what the segments mean). The local runtime writes it
when it starts serving; on a development stack deployed with `-c programmeClock=true`,
`prakerja ops clock advance` writes it and the functions read it (handlers/clock_source.py).
A stack with no such item runs on the wall clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from .. import clock
from ..domain import programme_time
from ..domain.programme_time import Segment
from . import dynamo, keys


def read() -> tuple[Segment, ...]:
    item = dynamo.get(keys.CLOCK_PK, keys.CLOCK_SK) or {}
    return programme_time.decode(item.get("segments"))


def publish(segments: Sequence[Segment]) -> None:
    dynamo.client().put_item(
        TableName=dynamo.table(),
        Item=dynamo.to_ddb(
            {
                "pk": keys.CLOCK_PK,
                "sk": keys.CLOCK_SK,
                "type": "CLOCK",
                "segments": programme_time.encode(segments),
                "published_at": clock.iso(datetime.now(UTC)),
            }
        ),
    )


def advance(to: datetime, unpublished: datetime | None = None) -> tuple[Segment, ...]:
    """Moves the published programme time forward to `to` (ValueError if that is not ahead
    of programme time now; `unpublished`: what that is while nothing is published)."""
    segments = programme_time.advanced(read(), datetime.now(UTC).timestamp(), to, unpublished)
    publish(segments)
    return tuple(segments)
