"""The steps of the payout-run state machine (statemachines/payout_run.asl.json) around
services/payouts.py: plan the run, carry one shard's batch from the last, add up the
shards' reports. The state passed between the steps is plain JSON (ShardState)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypedDict

from .. import clock, config
from ..data import budget_leases, controls
from ..payments import rate_limit
from ..payments.provider import PaymentProvider
from . import payouts


class ShardState(TypedDict, total=False):
    """One child of the run's Map: its input (from the plan or the previous batch) and its
    output are the same shape, so the Choice after each batch can loop."""

    shard: int
    as_of: str
    run: str | None
    max_concurrency: int  # the run's: this child keeps to 1/max_concurrency of the provider's rate
    stop_at: str | None  # the run's: no payout starts after it (before the execution's timeout)
    cursor: dict[str, Any] | None
    batches: int
    outcomes: dict[str, int]
    paid_idr: int
    more: bool
    stopped_early: bool
    paused: bool
    provider_problem: str | None
    provider_calls: int  # made by this child so far, each at its share of the contracted rate
    rate_waited_s: float  # seconds it waited for its rate
    failed: bool  # set by the Map's Catch (ShardFailed) when the child failed
    error: str


def plan(now: datetime, run_id: str | None) -> dict[str, Any]:
    """The run's input to its Map: the shards with work, or `paused` and none."""
    paused = bool((controls.get_pause() or {}).get("paused"))
    return {
        "as_of": clock.iso(now),
        "run": run_id,
        "paused": paused,
        "shards": [] if paused else payouts.shards_with_work(now),
        "max_concurrency": config.PAYOUT_RUN_MAX_CONCURRENCY,
        "stop_at": clock.iso(stop_at(now)),
        "outcomes": {},
        "paid_idr": 0,
        "stopped_early": False,
    }


def stop_at(as_of: datetime) -> datetime:
    """When the run's children start no more payouts: the execution's timeout
    (config.PAYOUT_RUN_TIMEOUT, before the next run) less the margin one payout may take, so a
    long day stops with every payout settled or untouched, the rest left for the next run,
    instead of Step Functions stopping the execution mid-batch."""
    return as_of + config.PAYOUT_RUN_TIMEOUT - config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT


def pay_batch(state: ShardState, provider: PaymentProvider, has_time: Callable[[], bool]) -> ShardState:
    """One Lambda invocation's worth of one shard, continuing from `state`, at this child's
    share of the provider's contracted rate, until the invocation's or the run's time is up."""
    workers = int(state.get("max_concurrency") or config.PAYOUT_RUN_MAX_CONCURRENCY)
    limited = rate_limit.RateLimited(provider, rate_limit.share(config.PAYMENT_PROVIDER_MAX_CALLS_PER_SECOND, workers))
    run_ends = clock.parse(state["stop_at"]) if state.get("stop_at") else None  # absent: a run planned before it
    report = payouts.pay_shard(
        clock.parse(state["as_of"]),
        limited,
        int(state["shard"]),
        cursor=state.get("cursor"),
        run_id=state.get("run"),
        has_time=lambda: has_time() and (run_ends is None or clock.now() < run_ends),
    )
    batches = int(state.get("batches", 0)) + 1
    outcomes = Counter(state.get("outcomes") or {})
    outcomes.update(report.outcomes)
    return {
        "shard": int(state["shard"]),
        "as_of": state["as_of"],
        "run": state.get("run"),
        "max_concurrency": workers,
        "stop_at": state.get("stop_at"),
        "cursor": report.cursor,
        "batches": batches,
        "outcomes": dict(outcomes),
        "paid_idr": int(state.get("paid_idr", 0)) + report.paid_idr,
        # Out of time: the next invocation goes on, up to the bound on the run's history,
        # unless this one handled nothing (a timeout under the margin would loop forever).
        "more": report.stopped_early
        and batches < config.PAYOUT_RUN_MAX_BATCHES_PER_SHARD
        and sum(report.outcomes.values()) > 0,
        "stopped_early": report.stopped_early,
        "paused": report.paused,
        "provider_problem": report.provider_problem or state.get("provider_problem"),
        "provider_calls": int(state.get("provider_calls", 0)) + limited.calls,
        "rate_waited_s": round(float(state.get("rate_waited_s", 0.0)) + limited.waited_s, 3),
    }


def summarise(as_of: str, run_id: str | None, shards: list[int], reports: list[ShardState]) -> payouts.RunReport:
    """The run as one report: outcomes and rupiah of every shard, `stopped_early` when a
    shard still had work when its child stopped, `failed_shards` when a child failed.
    Budget room a child leased and could not give back (it failed or was stopped) goes
    back here, so it waits at most until the end of the run."""
    total = payouts.RunReport(as_of, run=run_id)
    total.leases_returned_idr = budget_leases.return_all()
    for state in reports:
        total.outcomes.update(state.get("outcomes") or {})
        total.paid_idr += int(state.get("paid_idr", 0))
        total.stopped_early = total.stopped_early or bool(state.get("stopped_early"))
        total.provider_calls += int(state.get("provider_calls", 0))
        total.rate_waited_s += float(state.get("rate_waited_s", 0.0))
        total.provider_problem = total.provider_problem or state.get("provider_problem")
        if state.get("failed"):
            total.failed_shards.append(int(state["shard"]))
            total.shard_errors[str(state["shard"])] = str(state.get("error") or "unknown")
    total.shards = list(shards)
    return total
