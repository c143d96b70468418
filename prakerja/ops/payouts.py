"""`ops payouts status` and the pause a participant's payouts are under: the programme-wide
and per-wave pauses with who set them and why, the budget, and the payout queue as the
payout run sees it now (due, sent, failed by reason)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from prakerja_flow import clock
from prakerja_flow.data import budget_leases, controls
from prakerja_flow.domain import incentives as inc

from . import table
from .aws import Target

PROGRAMME = "programme"
WAVE = "wave"


def _pause_view(item: dict, scope: str) -> dict:
    view = {
        "scope": scope,
        "actor": item.get("actor"),
        "reason": item.get("reason"),
        "at": item.get("at"),
        "scope_text": "programme-wide" if scope == PROGRAMME else f"for wave {item.get('wave')}",
    }
    if scope == WAVE:
        view["wave"] = int(item["wave"])
    return view


def pause_for_wave(wave: int) -> dict | None:
    """The pause that holds the payouts of this wave's participants now, if any: the
    programme-wide one first (the run stops before looking at waves), else the wave's."""
    programme = controls.get_pause()
    if programme and programme.get("paused"):
        return _pause_view(programme, PROGRAMME)
    own = controls.get_wave_pause(wave)
    return _pause_view(own, WAVE) if own and own.get("paused") else None


def _amounts(entitlements: list[dict]) -> dict:
    return {"count": len(entitlements), "amount_idr": sum(int(e["amount_idr"]) for e in entitlements)}


def queue_progress(target: Target) -> dict:
    """What a payout run started now works through, from the payout queue (the one place to
    read a run's progress; a payout workflow that records its runs would be read here):
    due (to send), sent (awaiting the provider's answer), failed (retried by each run once
    the cause is gone) by failure code, and paid ones whose execution is still to be told."""
    now = target.now()
    queued = table.payable_until(now)
    by_status: dict[str, list[dict]] = defaultdict(list)
    for e in queued:
        by_status[e["status"]].append(e)
    failed_by_code: dict[str, list[dict]] = defaultdict(list)
    for e in by_status[inc.FAILED]:
        failed_by_code[e.get("failure_code") or "?"].append(e)
    return {
        "as_of": clock.iso(now),
        "due": _amounts(by_status[inc.DUE] + by_status[inc.SCHEDULED]),
        "sent": _amounts(by_status[inc.SENT]),
        "failed": _amounts(by_status[inc.FAILED]),
        "failed_by_reason": [
            {
                "failure_code": code,
                **_amounts(ents),
                "example": ents[0].get("failure_reason"),
                "participants": sorted({e["participant_id"] for e in ents})[:20],
            }
            for code, ents in sorted(failed_by_code.items(), key=lambda kv: -len(kv[1]))
        ],
        "paid_to_resume": _amounts(by_status[inc.PAID]),
        "failed_participants": sorted({e["participant_id"] for e in by_status[inc.FAILED]}),
        "by_kind": dict(Counter(e["kind"] for e in queued if e["status"] in (inc.DUE, inc.SCHEDULED))),
        "scheduled_later": table.scheduled_after(now),
    }


def status_report(target: Target, progress: dict | None = None) -> dict:
    """`progress`: queue_progress() as read already (the console's snapshot); else read now."""
    pauses = table.pauses()
    programme = next((p for p in pauses if p["sk"] == "PAUSE"), None)
    waves = sorted((p for p in pauses if p["sk"].startswith("WAVE#")), key=lambda p: int(p["wave"]))
    budget = controls.get_budget()
    leased = sum(budget_leases.leases().values())
    progress = progress or queue_progress(target)
    return {
        "as_of": progress["as_of"],
        "paused": bool(programme and programme.get("paused")),
        "programme_pause": {**_pause_view(programme, PROGRAMME), "paused": bool(programme.get("paused"))}
        if programme
        else None,
        "paused_waves": [int(p["wave"]) for p in waves if p.get("paused")],
        "wave_pauses": [{**_pause_view(p, WAVE), "paused": bool(p.get("paused"))} for p in waves],
        "budget": {
            "ceiling_idr": budget.ceiling_idr,
            "committed_idr": budget.committed_idr,
            "remaining_idr": budget.remaining_idr,
            "ceiling_from": "operator override" if budget.overridden else "config.CASH_INCENTIVE_BUDGET_IDR",
            # Room running payout shards hold for their page (docs/decisions/0014).
            "leased_idr": leased,
            # committed = SENT + PAID reservations + leases, so what is neither in flight nor
            # leased has been paid
            "paid_idr": max(0, budget.committed_idr - progress["sent"]["amount_idr"] - leased),
        },
        "queue": progress,
    }


def recent_runs(target: Target, limit: int) -> dict:
    """The last `limit` payout-run executions, newest first, each with its report (the
    state machine's output) when it has ended."""
    from .reads import programme_iso

    listed = target.sfn.list_executions(stateMachineArn=target.payout_run_arn, maxResults=limit)["executions"]
    runs = []
    for execution in sorted(listed, key=lambda e: e["startDate"], reverse=True)[:limit]:
        described = target.sfn.describe_execution(executionArn=execution["executionArn"])
        report = json.loads(described.get("output") or "null") or {}
        outcomes = report.get("outcomes") or {}
        runs.append(
            {
                "execution_arn": execution["executionArn"],
                "status": execution["status"],
                "started": programme_iso(target, execution.get("startDate")),
                "stopped": programme_iso(target, execution.get("stopDate")),
                "as_of": report.get("as_of"),
                "paused": report.get("paused", False),
                "shards": report.get("shards", []),
                "failed_shards": report.get("failed_shards", []),
                "shard_errors": report.get("shard_errors", {}),
                "stopped_early": report.get("stopped_early", False),
                "paid": outcomes.get("paid", 0),
                "paid_idr": report.get("paid_idr", 0),
                "outcomes": outcomes,
                "error": described.get("error"),
                "cause": described.get("cause"),
            }
        )
    return {"state_machine_arn": target.payout_run_arn, "runs": runs}
