"""The read side of `prakerja ops`: one participant, the executions, one timeline,
who is stuck where. Pure functions of a Target that return plain dicts (--json
prints them as they are)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from prakerja_flow import clock
from prakerja_flow.data import dynamo, keys
from prakerja_flow.data import operations as ops_data
from prakerja_flow.data import inbox, ledger, participants as profiles, purchases
from prakerja_flow.domain import participation
from prakerja_flow.domain import errors
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain.nik import mask_nik
from prakerja_flow.services import status as status_service
from prakerja_flow.domain.vocabulary import state_of_stage_key as state_of_stage

from .aws import OpsError, Target

NIK_PATTERN = re.compile(r"^\d{16}$")
PROBLEM_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
FINAL_STATES = {participation.REVOKED: "Revoked", participation.CANCELLED: "ParticipationCancelled"}
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


def _programme_seconds_since(iso_time: str | None) -> float | None:
    """Times written by the functions are programme time: measured with clock.now()."""
    return None if not iso_time else max(0.0, (clock.now() - clock.parse(iso_time)).total_seconds())


def _wall_seconds_since(moment: datetime | None) -> float | None:
    """Step Functions timestamps are wall-clock time."""
    return None if moment is None else max(0.0, (datetime.now(UTC) - moment).total_seconds())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else clock.iso(moment)


def resolve(reference: str) -> str:
    """A participant id, or a 16-digit NIK resolved through the NIK guard."""
    reference = reference.strip()
    if NIK_PATTERN.match(reference):
        pid = profiles.find_id_by_nik(reference)
        if pid is None:
            raise OpsError(f"no participant holds NIK {mask_nik(reference)}")
        return pid
    if profiles.get(reference) is None:
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
    detail = {p["purchase_id"]: p for p in purchases.of(pid)}
    for purchase in view["purchases"]:
        raw = detail.get(purchase["purchase_id"], {})
        purchase["completed_at"] = raw.get("completed_at")
        purchase["rated_at"] = (raw.get("rating") or {}).get("rated_at") or raw.get("rated_at")
    tokens = {t["stage"]: t for t in inbox.tokens(pid)}
    execution = _describe_execution(target, pid)
    state, entered = last_entered(target, execution["executionArn"]) if execution else (None, None)
    waiting = next((t for t in tokens.values() if state_of_stage(t["stage"]) == state), None)
    if waiting:
        since, seconds = waiting["at"], _programme_seconds_since(waiting["at"])
    else:
        since, seconds = _iso(entered), _wall_seconds_since(entered)
    view["execution"] = None if execution is None else {
        "arn": execution["executionArn"],
        "status": execution["status"],
        "started": _iso(execution.get("startDate")),
        "stopped": _iso(execution.get("stopDate")),
        "error": execution.get("error"),
        "cause": execution.get("cause"),
    }
    view["current_state"] = state
    view["in_state_since"] = since
    view["in_state_seconds"] = seconds
    view["problems"] = problems(view)
    if execution and execution["status"] in PROBLEM_STATUSES:
        # The table alone cannot know the workflow stopped: without this the line would
        # describe the step the participant is stuck before as if it were still moving.
        error = ": ".join(x for x in (execution.get("error"), execution.get("cause")) if x)
        view["diagnosis"] = (f"lifecycle {execution['status'].lower()} at {state or '?'}"
                             f"{f' ({error[:160]})' if error else ''}; fix the cause, then: prakerja ops redrive {pid}")
    return view


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
            found[pid] = inbox.tokens(pid)
        return found
    for item in ops_data.scan_tokens():
        found[item["pk"][2:]].append(item)
    return found


def executions_report(target: Target, status: str | None = None, state: str | None = None,
                      older_than: timedelta | None = None, wave: int | None = None, limit: int = 100) -> dict:
    """Lists the executions (cheap), reads who waits where from the TOKEN items (one
    scan), profiles only where needed (finished executions, by batch) and the history
    only of executions that are neither waiting nor finished (failed, or between states)."""
    executions = list_executions(target, status)
    known: dict[str, dict] = {}
    if wave is not None:
        known = ops_data.wave_profiles(wave)
        executions = [e for e in executions if e["name"] in known]
    waits = _waits([e["name"] for e in executions])
    final_wanted = state is None or state in (*FINAL_STATES.values(), "LifecycleComplete")
    finished = [e["name"] for e in executions if e["status"] == "SUCCEEDED"] if final_wanted else []
    profiles = {**known, **ops_data.get_profiles([pid for pid in finished if pid not in known])}  # how a finished one ended
    rows, need_history = [], []
    for e in executions:
        if e["status"] == "SUCCEEDED" and not final_wanted:
            continue  # a finished execution waits nowhere
        profile = profiles.get(e["name"]) or {}
        row = {
            "participant_id": e["name"],
            "wave": wave,
            "status": e["status"],
            "state": None,
            "in_state_since": None,
            "in_state_seconds": None,
            "started": _iso(e.get("startDate")),
            "age_seconds": _wall_seconds_since(e.get("startDate")),
            "state_from": None,
            "execution_arn": e["executionArn"],
        }
        tokens = sorted(waits.get(e["name"], []), key=lambda t: t.get("at", ""))
        if e["status"] == "RUNNING" and tokens:
            row.update(state=state_of_stage(tokens[-1]["stage"]), in_state_since=tokens[-1].get("at"),
                       in_state_seconds=_programme_seconds_since(tokens[-1].get("at")), state_from="token")
        elif e["status"] == "SUCCEEDED" and profile:
            row.update(state=FINAL_STATES.get(profile.get("status"), "LifecycleComplete"), in_state_since=_iso(e.get("stopDate")),
                       in_state_seconds=_wall_seconds_since(e.get("stopDate")), state_from="profile")
        else:
            need_history.append(row)  # moving between states, failed, or no table record
        rows.append(row)
    if need_history:
        with ThreadPoolExecutor(HISTORY_WORKERS) as pool:
            for row, (name, entered) in zip(need_history, pool.map(lambda r: last_entered(target, r["execution_arn"]), need_history)):
                row.update(state=name, in_state_since=_iso(entered), in_state_seconds=_wall_seconds_since(entered), state_from="history")
    if state:
        rows = [r for r in rows if r["state"] == state]
    if older_than is not None:
        rows = [r for r in rows if (r["in_state_seconds"] or 0) >= older_than.total_seconds()]
    rows.sort(key=lambda r: -(r["in_state_seconds"] or 0))
    shown = rows[:limit]
    profiles.update(ops_data.get_profiles([r["participant_id"] for r in shown if r["participant_id"] not in profiles]))
    shown_profiles = profiles  # read only for what is shown
    for row in shown:
        profile = shown_profiles.get(row["participant_id"]) or {}
        row["wave"] = profile.get("wave", row["wave"])
        if profile.get("accepted_at"):  # programme time, like the token's: same clock as in_state
            row["age_seconds"] = _programme_seconds_since(profile["accepted_at"])
    return {
        "state_machine_arn": target.state_machine_arn,
        "listed": len(executions),
        "matched": len(rows),
        "history_lookups": len(need_history),
        "executions": shown,
        "by_state": dict(Counter(r["state"] or "?" for r in rows)),
    }


# --- ops history ----------------------------------------------------------------------------------------


def _event_line(event: dict) -> dict | None:
    kind = event["type"]
    base = {"at": _iso(event["timestamp"]), "source": "execution", "type": kind, "id": event.get("id")}
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
    pid = resolve(reference)
    execution = _describe_execution(target, pid)
    events = history_events(target, execution["executionArn"]) if execution else []
    lines = [line for line in map(_event_line, events) if line]
    for entry in ledger.lines(pid):
        lines.append({"at": entry["at"], "source": "ledger", "type": entry["entry"], "what": "ledger",
                      "amount_idr": entry["amount_idr"], "ledger_key": keys.ledger_entry_key(entry["sk"])})
    lines.sort(key=lambda line: (line["at"] or "", 0 if line["source"] == "execution" else 1, line.get("id") or 0))
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


def stuck_report(target: Target, oldest: int = 5) -> dict:
    waits: dict[str, list[dict]] = defaultdict(list)
    for item in ops_data.scan_tokens():
        if item.get("at"):
            waits[state_of_stage(item["stage"])].append({"participant_id": keys.participant_id_of(item["pk"]), "stage": item["stage"], "since": item["at"],
                                                        "seconds": _programme_seconds_since(item["at"])})
    for rows in waits.values():
        rows.sort(key=lambda r: -r["seconds"])
    profiles = ops_data.get_profiles([r["participant_id"] for rows in waits.values() for r in rows[:oldest]])
    states = {}
    for state, rows in sorted(waits.items()):
        buckets = Counter(_bucket(r["seconds"]) for r in rows)
        states[state] = {
            "waiting": len(rows),
            "buckets": {name: buckets.get(name, 0) for _, name in AGE_BUCKETS},
            "oldest": [{**r, "wave": (profiles.get(r["participant_id"]) or {}).get("wave")} for r in rows[:oldest]],
        }
    return {"as_of": clock.iso(clock.now()), "states": states, "total_waiting": sum(s["waiting"] for s in states.values())}
