"""Many executions at once: `ops executions` (every execution as a row: participant,
wave, status, state, age; the filters) and `ops stuck` (waits by state and age bucket),
which the console's list pages show from one listing (console/snapshot.py). Every age is
programme time (reads.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from prakerja_flow import clock
from prakerja_flow.data import inbox
from prakerja_flow.data import operations as ops_data
from prakerja_flow.domain.vocabulary import state_of_stage_key as state_of_stage

from . import payouts, table
from .aws import Target
from .reads import (
    ENDED_STATES,
    check_state,
    check_status,
    check_wave,
    final_state,
    last_entered,
    programme_iso,
    seconds_since,
    seconds_since_wall,
)

AGE_BUCKETS = (
    (timedelta(days=7), "<7d"),
    (timedelta(days=14), "7-14d"),
    (timedelta(days=30), "14-30d"),
    (None, ">30d"),
)
HISTORY_WORKERS = 16
PER_PARTICIPANT_LOOKUPS_UP_TO = 25  # above this, one scan of the table is cheaper than a query each


# --- ops executions -------------------------------------------------------------------------------


def list_executions(target: Target, status: str | None = None) -> list[dict]:
    kwargs = {"stateMachineArn": target.state_machine_arn, "PaginationConfig": {"PageSize": 1000}}
    if status:
        kwargs["statusFilter"] = status
    pages = target.sfn.get_paginator("list_executions").paginate(**kwargs)
    return [execution for page in pages for execution in page["executions"]]


def _waits(names: list[str]) -> dict[str, list[dict]]:
    """participant id -> its TOKEN items: one query each for a few, one projected scan for many."""
    found: dict[str, list[dict]] = defaultdict(list)
    if len(names) <= PER_PARTICIPANT_LOOKUPS_UP_TO:
        for pid in names:
            found[pid] = inbox.tokens(pid)
        return found
    for item in ops_data.scan_tokens():
        found[item["pk"][2:]].append(item)
    return found


@dataclass
class Listing:
    """Every matching execution as a row (participant, wave, status, state, age), before the
    filters that need no further reads; `profiled` when every row carries its profile."""

    rows: list[dict]
    listed: int
    history_lookups: int
    profiled: bool
    as_of: str


def execution_rows(
    target: Target,
    status: str | None = None,
    wave: int | None = None,
    need_final: bool = True,
    profile_all: bool = False,
) -> Listing:
    """Lists the executions (cheap), reads who waits where from the TOKEN items (one
    scan), profiles only where needed (finished executions, by batch; every row with
    `profile_all`) and the history only of executions that are neither waiting nor
    finished (failed, or between states)."""
    executions = list_executions(target, status)
    known: dict[str, dict] = {}
    if wave is not None:
        known = ops_data.wave_profiles(wave)
        executions = [e for e in executions if e["name"] in known]
    waits = _waits([e["name"] for e in executions])
    wanted = (
        [e["name"] for e in executions]
        if profile_all
        else ([e["name"] for e in executions if e["status"] == "SUCCEEDED"] if need_final else [])
    )
    profiles = {**known, **table.profiles([pid for pid in wanted if pid not in known])}  # how a finished one ended
    rows, need_history = [], []
    for e in executions:
        if e["status"] == "SUCCEEDED" and not need_final:
            continue  # a finished execution waits nowhere
        profile = profiles.get(e["name"]) or {}
        row = {
            "participant_id": e["name"],
            "wave": wave,
            "status": e["status"],
            "state": None,
            "in_state_since": None,
            "in_state_seconds": None,
            "started": programme_iso(target, e.get("startDate")),
            "age_seconds": seconds_since_wall(target, e.get("startDate")),
            "state_from": None,
            "execution_arn": e["executionArn"],
        }
        tokens = sorted(waits.get(e["name"], []), key=lambda t: t.get("at", ""))
        if e["status"] == "RUNNING" and tokens:
            row.update(
                state=state_of_stage(tokens[-1]["stage"]),
                in_state_since=tokens[-1].get("at"),
                in_state_seconds=seconds_since(target, tokens[-1].get("at")),
                state_from="token",
            )
        elif e["status"] == "SUCCEEDED" and profile:
            row.update(
                state=final_state(profile),
                in_state_since=programme_iso(target, e.get("stopDate")),
                in_state_seconds=seconds_since_wall(target, e.get("stopDate")),
                state_from="profile",
            )
        else:
            need_history.append(row)  # moving between states, failed, or no table record
        rows.append(row)
    if need_history:
        with ThreadPoolExecutor(HISTORY_WORKERS) as pool:
            for row, (name, entered) in zip(
                need_history, pool.map(lambda r: last_entered(target, r["execution_arn"]), need_history), strict=True
            ):
                row.update(
                    state=name,
                    in_state_since=programme_iso(target, entered),
                    in_state_seconds=seconds_since_wall(target, entered),
                    state_from="history",
                )
    if profile_all:
        for row in rows:
            _profile_row(row, profiles.get(row["participant_id"]) or {}, target)
    return Listing(rows, len(executions), len(need_history), profile_all, clock.iso(target.now()))


def _profile_row(row: dict, profile: dict, target: Target) -> None:
    row["wave"] = profile.get("wave", row["wave"])
    row["cash_paid_idr"] = profile.get("cash_paid_idr")
    row["participant_status"] = profile.get("status")
    row["accepted_at"] = profile.get("accepted_at")
    if profile.get("accepted_at"):  # programme time, like the token's: same clock as in_state
        row["age_seconds"] = seconds_since(target, profile["accepted_at"])


def failed_payout_participants(target: Target) -> set[str]:
    """Participants with a FAILED entitlement: FAILED ones stay in the payout queue."""
    return set(payouts.queue_progress(target)["failed_participants"])


def filter_rows(
    rows: Iterable[dict],
    state: str | None = None,
    older_than: timedelta | None = None,
    never_paid: bool = False,
    payout_failed: set[str] | None = None,
    status: str | None = None,
    wave: int | None = None,
) -> list[dict]:
    """The filters on rows already read, longest in state first (pure). `never_paid` and
    `wave` need profiled rows; `payout_failed` is failed_payout_participants(). (The CLI
    has ListExecutions filter by status and GSI2 by wave instead.)"""
    kept = [
        r
        for r in rows
        if (status is None or r["status"] == status)
        and (wave is None or r["wave"] == wave)
        and (state is None or r["state"] == state)
        and (older_than is None or (r["in_state_seconds"] or 0) >= older_than.total_seconds())
        and (not never_paid or not r.get("cash_paid_idr"))
        and (payout_failed is None or r["participant_id"] in payout_failed)
    ]
    kept.sort(key=lambda r: -(r["in_state_seconds"] or 0))
    return kept


def executions_report(
    target: Target,
    status: str | None = None,
    state: str | None = None,
    older_than: timedelta | None = None,
    wave: int | None = None,
    limit: int = 100,
    never_paid: bool = False,
    payout_failed: bool = False,
) -> dict:
    check_status(status)
    check_state(state)
    check_wave(wave)
    final_wanted = state is None or state in ENDED_STATES
    listing = execution_rows(target, status, wave, need_final=final_wanted, profile_all=never_paid)
    rows = filter_rows(
        listing.rows, state, older_than, never_paid, failed_payout_participants(target) if payout_failed else None
    )
    return _report(target, listing, rows, limit)


def _report(target: Target, listing: Listing, rows: list[dict], limit: int) -> dict:
    shown = rows[:limit]
    if not listing.profiled:  # profiles read only for what is shown
        shown_profiles = table.profiles([r["participant_id"] for r in shown])
        for row in shown:
            _profile_row(row, shown_profiles.get(row["participant_id"]) or {}, target)
    return {
        "state_machine_arn": target.state_machine_arn,
        "as_of": listing.as_of,
        "listed": listing.listed,
        "matched": len(rows),
        "history_lookups": listing.history_lookups,
        "executions": shown,
        "by_state": dict(Counter(r["state"] or "?" for r in rows)),
    }


# --- ops stuck ------------------------------------------------------------------------------------------------


def _bucket(seconds: float) -> str:
    for limit, name in AGE_BUCKETS:
        if limit is None or seconds < limit.total_seconds():
            return name
    return AGE_BUCKETS[-1][1]


def stuck_summary(waits: Iterable[dict], oldest: int = 5, as_of: str = "") -> dict:
    """Per waiting state: how many, by age bucket, and the oldest few (pure). Each wait is
    {participant_id, state, since, seconds, wave}."""
    by_state: dict[str, list[dict]] = defaultdict(list)
    for w in waits:
        by_state[w["state"]].append(w)
    states = {}
    for state, rows in sorted(by_state.items()):
        rows.sort(key=lambda r: -r["seconds"])
        buckets = Counter(_bucket(r["seconds"]) for r in rows)
        states[state] = {
            "waiting": len(rows),
            "buckets": {name: buckets.get(name, 0) for _, name in AGE_BUCKETS},
            "oldest": rows[:oldest],
        }
    return {"as_of": as_of, "states": states, "total_waiting": sum(s["waiting"] for s in states.values())}


def stuck_report(target: Target, oldest: int = 5) -> dict:
    waits = [
        {
            "participant_id": item["pk"][2:],
            "state": state_of_stage(item["stage"]),
            "stage": item["stage"],
            "since": item["at"],
            "seconds": seconds_since(target, item["at"]),
            "wave": None,
        }
        for item in ops_data.scan_tokens()
        if item.get("at")
    ]
    summary = stuck_summary(waits, oldest, clock.iso(target.now()))
    shown = [r for s in summary["states"].values() for r in s["oldest"]]
    profiles = table.profiles([r["participant_id"] for r in shown])
    for row in shown:
        row["wave"] = (profiles.get(row["participant_id"]) or {}).get("wave")
    return summary


def stuck_from_rows(rows: Iterable[dict], oldest: int = 5, as_of: str = "") -> dict:
    """The same summary from execution rows that were read already (the console's listing)."""
    return stuck_summary(
        (
            {
                "participant_id": r["participant_id"],
                "state": r["state"],
                "since": r["in_state_since"],
                "seconds": r["in_state_seconds"] or 0,
                "wave": r["wave"],
            }
            for r in rows
            if r["state_from"] == "token"
        ),
        oldest,
        as_of,
    )
