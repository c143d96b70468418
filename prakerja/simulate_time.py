"""Where in its day each of the simulation's actions happens, in virtual time, and what the
quotas did to the run (`simulate --scale`, prakerja/local/virtual_time.py).

A simulated day's requests are spread evenly over the hours participants and platforms are
active (persona_timing.ARRIVALS), in the order the day's agenda holds them, so the rate
buckets see arrivals at the rate the programme's day has, not all at one instant; the day's
scheduled jobs run after them (persona_timing.JOBS_AT), the payout run's children side by
side from there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from prakerja_flow import config

from . import persona_timing as timing
from .local.virtual_time import VirtualTime


def virtual_time_for(scale: int, provider_latency_ms: float | None) -> VirtualTime | None:
    """Virtual time for a run at 1/`scale` (None at AWS's own scale: nothing is scaled and the
    simulator's provider answers at once, as before)."""
    if scale <= 1 and provider_latency_ms is None:
        return None
    latency_s = (
        config.PAYMENT_PROVIDER_LATENCY.total_seconds() if provider_latency_ms is None else provider_latency_ms / 1000
    )
    return VirtualTime(
        provider_latency_s=latency_s,
        scale=max(1, scale),
        dynamodb_latency_s=config.DYNAMODB_CALL_LATENCY.total_seconds(),
    )


@contextmanager
def payout_concurrency(workers: int | None) -> Iterator[None]:
    """The payout run's fan-out for one run (its plan step reads the config; every function
    runs in this process), put back afterwards."""
    saved = config.PAYOUT_RUN_MAX_CONCURRENCY
    if workers is not None:
        config.PAYOUT_RUN_MAX_CONCURRENCY = workers
    try:
        yield
    finally:
        config.PAYOUT_RUN_MAX_CONCURRENCY = saved


def arrival_offset(index: int, count: int, after_s: float = 0.0) -> float:
    """Seconds into the day of the `index`-th of `count` actions, spread evenly over what is
    left of the active hours after `after_s`."""
    start, end = timing.ARRIVALS
    start_s = max(start.total_seconds(), after_s)
    end_s = max(start_s, end.total_seconds())
    return start_s + (end_s - start_s) * index / max(1, count)


@dataclass
class QuotaLog:
    """What the virtual time measured, per run: the payout run's longest day and its lanes."""

    payout_run_seconds_max: float = 0.0
    payout_run_longest_day: int = 0
    payout_run_seconds: list[float] = field(default_factory=list)

    def after_jobs(self, vt: VirtualTime, day: int) -> None:
        seconds = vt.since_at()
        self.payout_run_seconds.append(seconds)
        if seconds > self.payout_run_seconds_max:
            self.payout_run_seconds_max, self.payout_run_longest_day = seconds, day

    def as_dict(self, vt: VirtualTime) -> dict:
        over = sum(1 for s in self.payout_run_seconds if s > config.PAYOUT_RUN_TIMEOUT.total_seconds())
        return {
            **vt.as_dict(),
            "jobs_hours_max": round(self.payout_run_seconds_max / 3600, 2),
            "jobs_longest_day": self.payout_run_longest_day,
            "jobs_days_over_payout_run_timeout": over,
        }
