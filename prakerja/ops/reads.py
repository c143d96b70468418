"""The read side of `prakerja ops` and its console for one participant: the profile and
diagnosis, one timeline (many executions at once: listing.py). Functions of a Target that return plain dicts (--json
prints them as they are; the console renders them).

Every age and date is programme time, on the clock of the stack the Target talks to
(Target.clock: the wall clock in AWS, the published programme clock of a local stack),
including Step Functions' own timestamps, which are wall-clock time."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from functools import cache

from botocore.exceptions import ClientError

from prakerja_flow import catalogue, clock
from prakerja_flow.data import dynamo, entitlements, inbox, ledger, purchases
from prakerja_flow.data import participants as profiles
from prakerja_flow.domain import errors, participation
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain.nik import mask_nik
from prakerja_flow.domain.vocabulary import LegacyLifecycleState, LifecycleState
from prakerja_flow.domain.vocabulary import state_of_stage_key as state_of_stage
from prakerja_flow.services import status as status_service

from . import audit, payouts, table
from .aws import OpsError, OpsUsageError, Target

NIK_PATTERN = re.compile(r"^\d{16}$")
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
PROBLEM_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
FINAL_STATES = participation.ENDED_STATE
ENDED_STATES = (
    *FINAL_STATES.values(),
    LifecycleState.RATING_WINDOW_CLOSED,
    LifecycleState.INCENTIVES_GRANTED,
    LegacyLifecycleState.LIFECYCLE_COMPLETE,
)


def final_state(profile: dict) -> str:
    """The end state of a SUCCEEDED execution, read from its profile (no history read)."""
    if profile.get("lifecycle_waits") is False:
        # Granted (ADR 0013): the execution ended there; a cancellation after the grant
        # cancels the unpaid entitlements but has no execution left to end.
        return LifecycleState.INCENTIVES_GRANTED
    if profile.get("status") in FINAL_STATES:
        return FINAL_STATES[profile["status"]]
    if profile.get("rating_window_closed_at") and not profile.get("incentive_purchase_id"):
        return LifecycleState.RATING_WINDOW_CLOSED
    return LegacyLifecycleState.LIFECYCLE_COMPLETE  # granted by the definition before ADR 0013


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


def seconds_since(target: Target, iso_time: str | None) -> float | None:
    """Programme seconds from a time the functions wrote (programme time) to now."""
    return None if not iso_time else max(0.0, (target.now() - clock.parse(iso_time)).total_seconds())


def _programme(target: Target, moment: datetime | None) -> datetime | None:
    """A Step Functions timestamp (wall clock) on the stack's programme clock."""
    return None if moment is None else target.clock.of_wall(moment)


def programme_iso(target: Target, moment: datetime | None) -> str | None:
    """A Step Functions timestamp as the programme time it happened at."""
    return None if moment is None else clock.iso(_programme(target, moment))


def seconds_since_wall(target: Target, moment: datetime | None) -> float | None:
    """Programme seconds from a Step Functions timestamp (wall clock) to now."""
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
    profile = profiles.get(pid) or {}
    detail = {p["purchase_id"]: p for p in purchases.of(pid)}
    for purchase in view["purchases"]:
        raw = detail.get(purchase["purchase_id"], {})
        purchase["completed_at"] = raw.get("completed_at")
        purchase["rated_at"] = (raw.get("rating") or {}).get("rated_at") or raw.get("rated_at")
    tokens = {t["stage"]: t for t in inbox.tokens(pid)}
    execution = _describe_execution(target, pid)
    state, entered = last_entered(target, execution["executionArn"]) if execution else (None, None)
    waiting = next((t for t in tokens.values() if state_of_stage(t["stage"]) == state), None)
    # Before the first certificate no execution runs (ADR 0015): the profile says what it waits for.
    before = participation.waiting_before_lifecycle(profile, list(detail.values())) if execution is None else None
    if waiting:
        since, seconds = waiting["at"], seconds_since(target, waiting["at"])
    elif before:
        since, seconds = before[1], seconds_since(target, before[1])
    else:
        since, seconds = programme_iso(target, entered), seconds_since_wall(target, entered)
    view["before_lifecycle"] = str(before[0]) if before else None
    view["execution"] = (
        None
        if execution is None
        else {
            "arn": execution["executionArn"],
            "status": execution["status"],
            "started": programme_iso(target, execution.get("startDate")),
            "stopped": programme_iso(target, execution.get("stopDate")),
            "error": execution.get("error"),
            "cause": execution.get("cause"),
        }
    )
    view["current_state"] = state
    view["in_state_since"] = since
    view["in_state_seconds"] = seconds
    view["cancellation"] = (
        {
            "by": profile.get("cancelled_by"),
            "reason": profile.get("cancellation_reason"),
            "at": profile.get("cancelled_at"),
        }
        if profile.get("status") == participation.CANCELLED
        else None
    )
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
        return (
            f"lifecycle {execution['status'].lower()} at {view['current_state'] or '?'}"
            f"{f' ({error[:160]})' if error else ''}; fix the cause, then: prakerja ops redrive {pid}"
        )
    pause = view["payouts_paused"]
    if pause and has_unpaid:
        resume = "prakerja ops payouts resume" + (f" --wave {pause['wave']}" if pause["scope"] == "wave" else "")
        return (
            f"payouts paused {pause['scope_text']} since {pause['at'][:10]} by {pause['actor']} ({pause['reason']}): "
            f"nothing is paid until `{resume}`; then {view['diagnosis']}"
        )
    return view["diagnosis"]


def paying_executions(target: Target, view: dict) -> list[dict]:
    """The executions that paid this participant, with what each paid: the payout-run
    execution that sent each payment (recorded on the entitlement when it was SENT;
    settled by a later run, that run is named too). A payment recorded before the payout
    run was a workflow of its own names the lifecycle execution it resumed."""
    paid = [e for e in view["entitlements"] if e["status"] == inc.PAID]
    if not paid:
        return []
    raw = {e["idempotency_key"]: e for e in entitlements.of(view["participant_id"])}
    lifecycle = view.get("execution")
    groups: dict[tuple[str, str], list[dict]] = {}  # (execution ARN, workflow) -> what it paid
    for e in paid:
        item = raw.get(e["idempotency_key"], {})
        run = item.get("sent_by_run") or item.get("paid_by_run")
        if run:
            key = (_run_arn(target, run), catalogue.PAYOUT_RUN.name)
        elif lifecycle:
            key = (lifecycle["arn"], catalogue.STATE_MACHINE_NAME)
        else:
            continue
        settled = item.get("paid_by_run")
        groups.setdefault(key, []).append({**e, "settled_by": _run_arn(target, settled) if settled else None})
    return [
        {
            "execution_arn": arn,
            "workflow": workflow,
            "status": lifecycle["status"] if lifecycle and workflow == catalogue.STATE_MACHINE_NAME else None,
            "paid": [f"{e['kind']} {e['sequence']}" for e in group],
            "paid_idr": sum(e["amount_idr"] for e in group),
            "last_paid_at": max(e["paid_at"] or "" for e in group) or None,
            "settled_by": sorted({e["settled_by"] for e in group if e["settled_by"] and e["settled_by"] != arn}),
        }
        for (arn, workflow), group in groups.items()
    ]


def _run_arn(target: Target, name: str) -> str:
    """A payout-run execution's ARN from the name the entitlement keeps."""
    return catalogue.execution_arn(target.payout_run_arn, name)


def problems(view: dict) -> list[str]:
    found = [
        f"{e['kind']} {e['sequence']} FAILED: {e.get('failure_reason')}"
        for e in view["entitlements"]
        if e["status"] == inc.FAILED
    ]
    execution = view.get("execution")
    # No execution is a problem only once the first certificate is in (ADR 0015: it starts there).
    if execution is None and view.get("before_lifecycle") is None and view["status"] == participation.ACTIVE:
        found.append(
            "first certificate recorded but no lifecycle execution: the next deadline sweep starts it "
            "(or the platform's retry of the completion)"
        )
    elif execution is not None and execution["status"] in PROBLEM_STATUSES:
        found.append(
            f"execution {execution['status']}: {execution.get('error') or ''} {execution.get('cause') or ''}".strip()
        )
    return found


# --- ops history ----------------------------------------------------------------------------------------


def _event_line(target: Target, event: dict) -> dict | None:
    kind = event["type"]
    base = {"at": programme_iso(target, event["timestamp"]), "source": "execution", "type": kind, "id": event.get("id")}
    if kind.endswith("StateEntered"):
        return {**base, "state": event["stateEnteredEventDetails"]["name"], "what": "entered"}
    if kind.endswith("StateExited"):
        return {**base, "state": event["stateExitedEventDetails"]["name"], "what": "exited"}
    for details_key, value in event.items():
        if details_key.endswith("EventDetails") and isinstance(value, dict) and ("error" in value or "cause" in value):
            if kind.endswith(("Failed", "TimedOut", "Aborted")):
                return {
                    **base,
                    "what": "failed",
                    "error": value.get("error"),
                    "cause": (value.get("cause") or "")[:300],
                }
    if kind == "ExecutionRedriven":
        return {**base, "what": "redriven", "redrive_count": event["executionRedrivenEventDetails"].get("redriveCount")}
    if kind in ("ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"):
        return {**base, "what": kind[len("Execution") :].lower()}
    return None


def history_report(target: Target, reference: str, kept: audit.PastDays | None = None) -> dict:
    """The execution's events, the ledger and the operator actions on this participant, in
    programme time order (`kept`: audit days read already)."""
    pid = resolve(reference)
    execution = _describe_execution(target, pid)
    events = history_events(target, execution["executionArn"]) if execution else []
    lines = [line for line in (_event_line(target, e) for e in events) if line]
    for entry in ledger.lines(pid):
        lines.append(
            {
                "at": entry["at"],
                "source": "ledger",
                "type": entry["entry"],
                "what": "ledger",
                "amount_idr": entry["amount_idr"],
                "ledger_key": entry["sk"][len("LEDGER#") :],
            }
        )
    profile = profiles.get(pid) or {}
    for action in audit.for_participant(target, pid, profile.get("accepted_at"), kept):
        lines.append(
            {
                "at": action["at"],
                "source": "audit",
                "type": action["action"],
                "what": "operator",
                "actor": action["actor"],
                "reason": action["reason"],
            }
        )
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
