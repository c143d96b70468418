"""What the console's list pages read: one full read (every execution with its state, age
and profile, each wave's intake, the payout queue: app.full_read), kept and re-read in the
background.

A full read is what `ops executions` does for every command, and on the local stack it
costs seconds at a few thousand executions (moto answers a table scan item by item); a
page must answer in well under one. So lists and counts come from the last read, which
says how old it is, and an action or the operator's "re-read now" makes a fresh one. The
participant page and every action read the stack directly, never this (but for the
audit log's ended days, which cannot change: audit.PastDays)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("prakerja.console")
WAIT_PER_READ = 3


@dataclass(frozen=True)
class Read:
    value: object
    finished: float  # time.monotonic() when it was read
    seconds: float  # how long the read took
    error: str | None = None


class Snapshot:
    """The last result of `read()`, re-read by a daemon thread every `every` seconds, or
    WAIT_PER_READ times as long as the last read took if that is longer: the stack is
    never kept busy mostly answering the console."""

    def __init__(self, read: Callable[[], object], every: float):
        self._read = read
        self._every = every
        self._last: Read | None = None
        self._lock = threading.Lock()  # one read at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="console-snapshot", daemon=True)

    def refresh(self) -> Read:
        with self._lock:
            started = time.monotonic()
            try:
                value, error = self._read(), None
            except Exception as failure:  # noqa: BLE001 - shown on the page; the last good read stays
                log.exception("reading the execution list failed")
                value, error = (self._last.value if self._last else None), str(failure)
            self._last = Read(value, time.monotonic(), time.monotonic() - started, error)
            return self._last

    def get(self) -> Read:
        return self._last or self.refresh()

    def age(self) -> float:
        return time.monotonic() - self._last.finished if self._last else float("inf")

    def soon(self) -> None:
        """Re-read now, in the background (after an action)."""
        self._wake.set()

    def start(self) -> Snapshot:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(max(self._every, WAIT_PER_READ * (self._last.seconds if self._last else 0.0)))
            self._wake.clear()
            if not self._stop.is_set():
                self.refresh()
