"""The read side of `prakerja ops` and its console: one participant, the executions, one
timeline, who is stuck where. Functions of a Target that return plain dicts (--json
prints them as they are; the console renders them).

Every age and date is programme time, on the clock of the stack the Target talks to
(Target.clock: the wall clock in AWS, the published programme clock of a local stack),
including Step Functions' own timestamps, which are wall-clock time."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from botocore.exceptions import ClientError

from prakerja_flow import catalogue, clock
from prakerja_flow.data import dynamo
from prakerja_flow.data import operations as ops_data
from prakerja_flow.data import repository as repo
from prakerja_flow.domain import errors
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain.nik import mask_nik
from prakerja_flow.services import status as status_service
from prakerja_flow.services.operator import state_of_stage

from . import audit, payouts, table
from .aws import OpsError, OpsUsageError, Target

NIK_PATTERN = re.compile(r"^\d{16}$")
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
PROBLEM_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
FINAL_STATES = {repo.REVOKED: "Revoked", repo.CANCELLED: "ParticipationCancelled"}
AGE_BUCKETS = ((timedelta(days=7), "<7d"), (timedelta(days=14), "7-14d"), (timedelta(days=30), "14-30d"), (None, ">30d"))
HISTORY_WORKERS = 16
PER_PARTICIPANT_LOOKUPS_UP_TO = 25  # above this, one scan of the table is cheaper than a query each


# --- small helpers ----------------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)\s*([dhm])", text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 14d, 12h or 30m")
    n, unit = int(match[1]), match[2]
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def human(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(max(0, seconds))
    if seconds >= 86400:
        return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60}m"
    return f"{seconds // 60}m{seconds % 60}s"


def _since(target: Target, iso_time: str | None) -> float | None:
    """Programme seconds from a time the functions wrote (programme time) to now."""
    return None if not iso_time else max(0.0, (target.now() - clock.parse(iso_time)).total_seconds())


def _programme(target: Target, moment: datetime | None) -> datetime | None:
    """A Step Functions timestamp (wall clock) on the stack's programme clock."""
    return None if moment is None else target.clock.of_wall(moment)


def _iso(target: Target, moment: datetime | None) -> str | None:
    return None if moment is None else clock.iso(_programme(target, moment))


def _since_wall(target: Target, moment: datetime | None) -> float | None:
    return None if moment is None else max(0.0, (target.now() - _programme(target, moment)).total_seconds())


@cache
def lifecycle_states() -> tuple[str, ...]:
    """Every state of the lifecycle, from the ASL file (what --state may name)."""
    return tuple(json.loads(catalogue.LIFECYCLE_ASL.read_text(encoding="utf-8"))["States"])


def check_state(state: str | None) -> None:
    if state is not None and state not in lifecycle_states():
        raise OpsUsageError(f"unknown state {state!r}; states: {', '.join(lifecycle_states())}")


def check_status(status: str | None) -> None:
    if status is not None and status not in EXECUTION_STATUSES:
        raise OpsUsageError(f"unknown status {status!r}; statuses: {', '.join(EXECUTION_STATUSES)}")


def check_wave(wave: int | None) -> None:
    """An unknown wave is bad usage, not an empty answer (needs the target: waves live in its table)."""
    if wave is None:
        return
    known = sorted(table.waves())
    if wave not in known and not table.wave_intake(wave):  # no such wave, and nobody in it
        listed = ", ".join(map(str, known)) if known else "none exists yet (ops wave open N)"
        raise OpsUsageError(f"unknown wave {wave}; waves: {listed}")


def resolve(reference: str) -> str:
    """A participant id, or a 16-digit NIK resolved through the NIK guard."""
    reference = reference.strip()
    if NIK_PATTERN.match(reference):
        pid = repo.find_participant_id_by_nik(reference)
        if pid is None:
            raise OpsError(f"no participant holds NIK {mask_nik(reference)}")
        return pid
    if repo.get_participant(reference) is None:
        raise OpsError(f"participant {reference} not found")
    return reference


def _describe_execution(target: Target, participant_id: str) -> dict | None:
    try:
        return target.sfn.describe_execution(executionArn=target.execution_arn(participant_id))
    except ClientError as error:
        if dynamo.error_code(error) == "ExecutionDoesNotExist":
            return None
        raise


def history_events(target: Target, execution_arn: str, reverse: bool = False, until=None, on_page=None) -> list[dict]:
    """The execution's history, paginated; stops early when `until(event)` is true."""
    kwargs = {"executionArn": execution_arn, "maxResults": 1000, "reverseOrder": reverse}
    found: list[dict] = []
    while True:
        out = target.sfn.get_execution_history(**kwargs)
        if on_page:
            on_page(out["events"])
        for event in out["events"]:
            found.append(event)
            if until and until(event):
                return found
        if not out.get("nextToken"):
            return found
        kwargs["nextToken"] = out["nextToken"]


def last_entered(target: Target, execution_arn: str) -> tuple[str | None, datetime | None]:
    """The current (or last) state: the last *StateEntered event. Asks for the history
    newest first and stops at the first StateEntered; an endpoint that ignores
    reverseOrder (moto) answers oldest first, which the event ids reveal."""
    newest_first = [True]

    def until(event: dict) -> bool:
        return newest_first[0] and event["type"].endswith("StateEntered")

    def check_order(events: list[dict]) -> None:
        if len(events) > 1 and events[0]["id"] < events[1]["id"]:
            newest_first[0] = False

    try:
        events = history_events(target, execution_arn, reverse=True, until=until, on_page=check_order)
    except ClientError as error:
        if dynamo.error_code(error) == "ExecutionDoesNotExist":
            return None, None
        raise
    entered = [e for e in events if e["type"].endswith("StateEntered")]
    if not entered:
        return None, None
    last = max(entered, key=lambda e: e["id"])
    return last["stateEnteredEventDetails"]["name"], last["timestamp"]


# --- ops participant ----------------------------------------------------------------------------


def participant_report(target: Target, reference: str) -> dict:
    pid = resolve(reference)
    try:
        view = status_service.participant_view(pid)
    except errors.ParticipantNotFound:
        raise OpsError(f"participant {reference} not found") from None
    profile = repo.get_participant(pid) or {}
    detail = {p["purchase_id"]: p for p in repo.list_purchases(pid)}
    for purchase in view["purchases"]:
        raw = detail.get(purchase["purchase_id"], {})
        purchase["completed_at"] = raw.get("completed_at")
        purchase["rated_at"] = (raw.get("rating") or {}).get("rated_at") or raw.get("rated_at")
    tokens = {t["stage"]: t for t in repo.list_tokens(pid)}
    execution = _describe_execution(target, pid)
    state, entered = last_entered(target, execution["executionArn"]) if execution else (None, None)
    waiting = next((t for t in tokens.values() if state_of_stage(t["stage"]) == state), None)
    if waiting:
        since, seconds = waiting["at"], _since(target, waiting["at"])
    else:
        since, seconds = _iso(target, entered), _since_wall(target, entered)
    view["execution"] = None if execution is None else {
        "arn": execution["executionArn"],
        "status": execution["status"],
        "started": _iso(target, execution.get("startDate")),
        "stopped": _iso(target, execution.get("stopDate")),
        "error": execution.get("error"),
        "cause": execution.get("cause"),
    }
    view["current_state"] = state
    view["in_state_since"] = since
    view["in_state_seconds"] = seconds
    view["cancellation"] = ({"by": profile.get("cancelled_by"), "reason": profile.get("cancellation_reason"),
                             "at": profile.get("cancelled_at")} if profile.get("status") == repo.CANCELLED else None)
    view["payouts_paused"] = payouts.pause_for_wave(view["wave"])
    unpaid = [e for e in view["entitlements"] if e["status"] not in inc.TERMINAL]
    for e in view["entitlements"]:
        e["paused"] = bool(view["payouts_paused"]) and e["status"] not in inc.TERMINAL
    view["paid_by"] = paying_executions(target, view)
    view["problems"] = problems(view)
    view["diagnosis"] = _diagnosis(view, pid, bool(unpaid))
    return view


def _diagnosis(view: dict, pid: str, has_unpaid: bool) -> str:
    """The API's line (services/status.py), unless something only an operator sees comes first:
    the workflow stopped, or a pause holding this person's payouts. (Who cancelled, and why,
    is `cancellation`.)"""
    execution = view["execution"]
    if execution and execution["status"] in PROBLEM_STATUSES:
        # The table alone cannot know the workflow stopped: without this the line would
        # describe the step the participant is stuck before as if it were still moving.
        error = ": ".join(x for x in (execution.get("error"), execution.get("cause")) if x)
        return (f"lifecycle {execution['status'].lower()} at {view['current_state'] or '?'}"
                f"{f' ({error[:160]})' if error else ''}; fix the cause, then: prakerja ops redrive {pid}")
    pause = view["payouts_paused"]
    if pause and has_unpaid:
        resume = "prakerja ops payouts resume" + (f" --wave {pause['wave']}" if pause["scope"] == "wave" else "")
        return (f"payouts paused {pause['scope_text']} since {pause['at'][:10]} by {pause['actor']} ({pause['reason']}): "
                f"nothing is paid until `{resume}`; then {view['diagnosis']}")
    return view["diagnosis"]


def paying_executions(target: Target, view: dict) -> list[dict]:
    """The executions that paid this participant, with what each paid. Today the daily
    payout run pays, for the lifecycle execution waiting at AwaitPayout (it resumes it), so
    every payment belongs to the lifecycle execution. The one place to extend when payouts
    run as executions of their own (the payout workflow)."""
    paid = [e for e in view["entitlements"] if e["status"] == inc.PAID]
    execution = view.get("execution")
    if not paid or not execution:
        return []
    return [{"execution_arn": execution["arn"], "workflow": catalogue.STATE_MACHINE_NAME, "status": execution["status"],
             "paid": [f"{e['kind']} {e['sequence']}" for e in paid], "paid_idr": sum(e["amount_idr"] for e in paid),
             "last_paid_at": max(e["paid_at"] or "" for e in paid) or None}]


def problems(view: dict) -> list[str]:
    found = [f"{e['kind']} {e['sequence']} FAILED: {e.get('failure_reason')}" for e in view["entitlements"] if e["status"] == inc.FAILED]
    execution = view.get("execution")
    if execution is None:
        found.append("no lifecycle execution exists for this participant")
    elif execution["status"] in PROBLEM_STATUSES:
        found.append(f"execution {execution['status']}: {execution.get('error') or ''} {execution.get('cause') or ''}".strip())
    return found


# --- ops executions -------------------------------------------------------------------------------


def list_executions(target: Target, status: str | None = None) -> list[dict]:
    kwargs = {"stateMachineArn": target.state_machine_arn, "maxResults": 1000}
    if status:
        kwargs["statusFilter"] = status
    found: list[dict] = []
    while True:
        out = target.sfn.list_executions(**kwargs)
        found.extend(out["executions"])
        if not out.get("nextToken"):
            return found
        kwargs["nextToken"] = out["nextToken"]


def _waits(names: list[str]) -> dict[str, list[dict]]:
    """participant id -> its TOKEN items: one query each for a few, one projected scan for many."""
    found: dict[str, list[dict]] = defaultdict(list)
    if len(names) <= PER_PARTICIPANT_LOOKUPS_UP_TO:
        for pid in names:
            found[pid] = repo.list_tokens(pid)
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


def execution_rows(target: Target, status: str | None = None, wave: int | None = None, need_final: bool = True,
                   profile_all: bool = False) -> Listing:
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
    wanted = [e["name"] for e in executions] if profile_all else \
        ([e["name"] for e in executions if e["status"] == "SUCCEEDED"] if need_final else [])
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
            "started": _iso(target, e.get("startDate")),
            "age_seconds": _since_wall(target, e.get("startDate")),
            "state_from": None,
            "execution_arn": e["executionArn"],
        }
        tokens = sorted(waits.get(e["name"], []), key=lambda t: t.get("at", ""))
        if e["status"] == "RUNNING" and tokens:
            row.update(state=state_of_stage(tokens[-1]["stage"]), in_state_since=tokens[-1].get("at"),
                       in_state_seconds=_since(target, tokens[-1].get("at")), state_from="token")
        elif e["status"] == "SUCCEEDED" and profile:
            row.update(state=FINAL_STATES.get(profile.get("status"), "LifecycleComplete"), in_state_since=_iso(target, e.get("stopDate")),
                       in_state_seconds=_since_wall(target, e.get("stopDate")), state_from="profile")
        else:
            need_history.append(row)  # moving between states, failed, or no table record
        rows.append(row)
    if need_history:
        with ThreadPoolExecutor(HISTORY_WORKERS) as pool:
            for row, (name, entered) in zip(need_history, pool.map(lambda r: last_entered(target, r["execution_arn"]), need_history)):
                row.update(state=name, in_state_since=_iso(target, entered), in_state_seconds=_since_wall(target, entered),
                           state_from="history")
    if profile_all:
        for row in rows:
            _profile_row(row, profiles.get(row["participant_id"]) or {}, target)
    return Listing(rows, len(executions), len(need_history), profile_all, clock.iso(target.now()))


def _profile_row(row: dict, profile: dict, target: Target) -> None:
    row["wave"] = profile.get("wave", row["wave"])
    row["cash_paid_idr"] = profile.get("cash_paid_idr")
    row["participant_status"] = profile.get("status")
    if profile.get("accepted_at"):  # programme time, like the token's: same clock as in_state
        row["age_seconds"] = _since(target, profile["accepted_at"])


def failed_payout_participants(target: Target) -> set[str]:
    """Participants with a FAILED entitlement: FAILED ones stay in the payout queue."""
    return set(payouts.queue_progress(target)["failed_participants"])


def filter_rows(rows: Iterable[dict], state: str | None = None, older_than: timedelta | None = None,
                never_paid: bool = False, payout_failed: set[str] | None = None, status: str | None = None,
                wave: int | None = None) -> list[dict]:
    """The filters on rows already read, longest in state first (pure). `never_paid` and
    `wave` need profiled rows; `payout_failed` is failed_payout_participants(). (The CLI
    has ListExecutions filter by status and GSI2 by wave instead.)"""
    kept = [r for r in rows
            if (status is None or r["status"] == status)
            and (wave is None or r["wave"] == wave)
            and (state is None or r["state"] == state)
            and (older_than is None or (r["in_state_seconds"] or 0) >= older_than.total_seconds())
            and (not never_paid or not r.get("cash_paid_idr"))
            and (payout_failed is None or r["participant_id"] in payout_failed)]
    kept.sort(key=lambda r: -(r["in_state_seconds"] or 0))
    return kept


def executions_report(target: Target, status: str | None = None, state: str | None = None,
                      older_than: timedelta | None = None, wave: int | None = None, limit: int = 100,
                      never_paid: bool = False, payout_failed: bool = False) -> dict:
    check_status(status)
    check_state(state)
    check_wave(wave)
    final_wanted = state is None or state in (*FINAL_STATES.values(), "LifecycleComplete")
    listing = execution_rows(target, status, wave, need_final=final_wanted, profile_all=never_paid)
    rows = filter_rows(listing.rows, state, older_than, never_paid, failed_payout_participants(target) if payout_failed else None)
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


# --- ops history ----------------------------------------------------------------------------------------


def _event_line(target: Target, event: dict) -> dict | None:
    kind = event["type"]
    base = {"at": _iso(target, event["timestamp"]), "source": "execution", "type": kind, "id": event.get("id")}
    if kind.endswith("StateEntered"):
        return {**base, "state": event["stateEnteredEventDetails"]["name"], "what": "entered"}
    if kind.endswith("StateExited"):
        return {**base, "state": event["stateExitedEventDetails"]["name"], "what": "exited"}
    for details_key, value in event.items():
        if details_key.endswith("EventDetails") and isinstance(value, dict) and ("error" in value or "cause" in value):
            if kind.endswith(("Failed", "TimedOut", "Aborted")):
                return {**base, "what": "failed", "error": value.get("error"), "cause": (value.get("cause") or "")[:300]}
    if kind == "ExecutionRedriven":
        return {**base, "what": "redriven", "redrive_count": event["executionRedrivenEventDetails"].get("redriveCount")}
    if kind in ("ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"):
        return {**base, "what": kind[len("Execution"):].lower()}
    return None


def history_report(target: Target, reference: str) -> dict:
    """The execution's events, the ledger and the operator actions on this participant, in
    programme time order."""
    pid = resolve(reference)
    execution = _describe_execution(target, pid)
    events = history_events(target, execution["executionArn"]) if execution else []
    lines = [line for line in (_event_line(target, e) for e in events) if line]
    for entry in repo.list_ledger(pid):
        lines.append({"at": entry["at"], "source": "ledger", "type": entry["entry"], "what": "ledger",
                      "amount_idr": entry["amount_idr"], "ledger_key": entry["sk"][len("LEDGER#"):]})
    profile = repo.get_participant(pid) or {}
    for action in audit.for_participant(target, pid, profile.get("accepted_at")):
        lines.append({"at": action["at"], "source": "audit", "type": action["action"], "what": "operator",
                      "actor": action["actor"], "reason": action["reason"]})
    order = {"execution": 0, "ledger": 1, "audit": 2}
    lines.sort(key=lambda line: (line["at"] or "", order[line["source"]], line.get("id") or 0))
    path = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    failed_state = None
    if execution and execution["status"] in PROBLEM_STATUSES:
        failed_state = path[-1] if path else None
    return {
        "participant_id": pid,
        "execution_status": execution["status"] if execution else None,
        "path": path,
        "current_state": path[-1] if path and execution and execution["status"] == "RUNNING" else None,
        "failed_state": failed_state,
        "timeline": lines,
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
        states[state] = {"waiting": len(rows), "buckets": {name: buckets.get(name, 0) for _, name in AGE_BUCKETS},
                         "oldest": rows[:oldest]}
    return {"as_of": as_of, "states": states, "total_waiting": sum(s["waiting"] for s in states.values())}


def stuck_report(target: Target, oldest: int = 5) -> dict:
    waits = [{"participant_id": item["pk"][2:], "state": state_of_stage(item["stage"]), "stage": item["stage"],
              "since": item["at"], "seconds": _since(target, item["at"]), "wave": None}
             for item in ops_data.scan_tokens() if item.get("at")]
    summary = stuck_summary(waits, oldest, clock.iso(target.now()))
    shown = [r for s in summary["states"].values() for r in s["oldest"]]
    profiles = table.profiles([r["participant_id"] for r in shown])
    for row in shown:
        row["wave"] = (profiles.get(row["participant_id"]) or {}).get("wave")
    return summary


def stuck_from_rows(rows: Iterable[dict], oldest: int = 5, as_of: str = "") -> dict:
    """The same summary from execution rows that were read already (the console's listing)."""
    return stuck_summary(({"participant_id": r["participant_id"], "state": r["state"], "since": r["in_state_since"],
                           "seconds": r["in_state_seconds"] or 0, "wave": r["wave"]}
                          for r in rows if r["state_from"] == "token"), oldest, as_of)
