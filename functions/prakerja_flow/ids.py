"""The one source of new participant ids, injectable like the clock (clock.py). In AWS
it is random (uuid4); `prakerja simulate` swaps in a seeded source so that the same
seed gives the same world, participant ids included."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PREFIX = "P"
HEX_DIGITS = 16

_source: Callable[[], str] | None = None


def new_participant_id() -> str:
    return _source() if _source else PREFIX + uuid.uuid4().hex[:HEX_DIGITS].upper()


def set_source(source: Callable[[], str] | None) -> None:
    global _source
    _source = source


def seeded(seed: int) -> Callable[[], str]:
    """Ids in the same form as uuid4's, drawn from a generator of their own (so drawing
    them does not shift any other random stream of the simulation). Thread-safe."""
    rng = random.Random(f"participant-ids:{seed}")
    lock = threading.Lock()

    def next_id() -> str:
        with lock:
            return PREFIX + f"{rng.getrandbits(HEX_DIGITS * 4):0{HEX_DIGITS}X}"

    return next_id


@contextmanager
def seeded_source(seed: int) -> Iterator[None]:
    """Seeded ids for the duration of a block (a simulation), random ones again after it."""
    set_source(seeded(seed))
    try:
        yield
    finally:
        set_source(None)
