"""`prakerja ops`: find any participant, see why they are not paid, act.

Exit status: 0 ok, 1 a problem was found (unknown participant, FAILED entitlement or
execution, unreachable endpoint, refused action), 2 bad usage."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated

import typer

from prakerja_flow import clock

from .aws import OpsError, Target, connect, set_environment

ops_app = typer.Typer(no_args_is_help=True, help="Operator tooling: find any participant, see why they are not paid, act.")
wave_app = typer.Typer(no_args_is_help=True, help="Open or close a wave for registration (audited).")
payouts_app = typer.Typer(no_args_is_help=True, help="Pause or resume every payout run (audited).")
ops_app.add_typer(wave_app, name="wave")
ops_app.add_typer(payouts_app, name="payouts")


@ops_app.callback()
def _environment(
    env: Annotated[str | None, typer.Option("--env", envvar="PRAKERJA_ENV",
                                            help="Deployed environment (cdk -c env=...): names become <env>-prakerja-flow, <env>-participant-lifecycle. Not needed locally.")] = None,
) -> None:
    set_environment(env)

Endpoint = Annotated[str | None, typer.Option("--endpoint-url", help="AWS-compatible endpoint, e.g. http://127.0.0.1:5000 (default: AWS_ENDPOINT_URL, else AWS).")]
Region = Annotated[str | None, typer.Option(help="AWS region (default: AWS_DEFAULT_REGION, else ap-southeast-3).")]
Table = Annotated[str | None, typer.Option(help="DynamoDB table name (default: prakerja-flow, or <env>-prakerja-flow with --env / PRAKERJA_ENV).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Actor = Annotated[str, typer.Option(help="Who is acting (written to the audit log).")]
Reason = Annotated[str, typer.Option(help="Why (written to the audit log).")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


class ExecutionStatus(str, Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"


def fail(message: str, code: int = 1) -> typer.Exit:
    print(f"prakerja: {message}", file=sys.stderr)
    return typer.Exit(code)


def _connect(endpoint_url: str | None, region: str | None, table: str | None) -> Target:
    try:
        return connect(endpoint_url, region, table)
    except OpsError as error:
        raise fail(str(error)) from None


def _participant(reference: str, endpoint_url: str | None, region: str | None, table: str | None) -> tuple[Target, str]:
    """The target and the participant id an action names (by id or NIK); exit 1 if unknown."""
    from .reads import resolve

    target = _connect(endpoint_url, region, table)
    return target, _run(target, lambda _t: resolve(reference))


def _run(target: Target, action, *args, **kwargs):
    """Runs a read or an action; one line on stderr and exit 1 when it cannot."""
    from prakerja_flow.services.operator import OperatorError

    try:
        return action(target, *args, **kwargs)
    except (OpsError, OperatorError) as error:
        raise fail(str(error)) from None
    except typer.Exit:
        raise
    except Exception as error:  # noqa: BLE001 - unreachable endpoint, refused call: one line
        raise fail(target.describe(error)) from None


def _emit(data: dict, as_json: bool, text) -> None:
    if as_json:
        print(json.dumps(data, sort_keys=True, default=str))
    else:
        text(data)


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    try:
        confirmed = typer.confirm(question, default=False)
    except typer.Abort:  # no answer: stdin closed (a script without --yes) or Ctrl-C at the prompt
        confirmed = False
    if not confirmed:
        raise fail("not confirmed; nothing changed")


# --- reads -----------------------------------------------------------------------------------------


@ops_app.command()
def participant(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    as_json: AsJson = False, endpoint_url: Endpoint = None, region: Region = None, table: Table = None,
) -> None:
    """Profile, lifecycle state, trainings, entitlements and a one-line diagnosis."""
    from . import reads

    target = _connect(endpoint_url, region, table)
    report = _run(target, lambda t: reads.participant_report(t, reference))
    _emit(report, as_json, _print_participant)
    raise typer.Exit(1 if report["problems"] else 0)


def _print_participant(r: dict) -> None:
    from .reads import human

    execution = r["execution"] or {}
    print(f"participant   {r['participant_id']}  NIK {r['nik_masked']}  wave {r['wave']}  {r['status']}")
    print(f"execution     {execution.get('status', 'none')}  state {r['current_state'] or '-'} for {human(r['in_state_seconds'])}"
          f" (since {r['in_state_since'] or '-'})")
    print(f"balance       Rp{r['balance_idr']:,} training, Rp{r['cash_paid_idr']:,} cash paid;"
          f" account {(r['payout_account'] or {}).get('channel', 'none')} {(r['payout_account'] or {}).get('account_number_masked', '')}")
    for p in r["purchases"]:
        print(f"training      {p['training_id']} ({p['purchase_id']}, {p['platform_id']}, Rp{p['price_idr']:,}) {p['status']};"
              f" certificate {p['certificate_id'] or '-'}; rated {'yes' if p['rated'] else 'no'}")
    for e in r["entitlements"]:
        when = e.get("paid_at") or e.get("due_at") or e.get("expires_at") or "-"
        why = f"  {e['failure_reason']}" if e["status"] == "FAILED" else ""
        print(f"entitlement   {e['kind']} {e['sequence']} Rp{e['amount_idr']:,} {e['status']} ({e['label']}) {when[:10]}{why}")
    print(f"diagnosis     {r['diagnosis']}")


@ops_app.command()
def executions(
    status: Annotated[ExecutionStatus | None, typer.Option(help="Only executions with this status.")] = None,
    state: Annotated[str | None, typer.Option(help="Only executions in this state, e.g. AwaitRating.")] = None,
    older_than: Annotated[str | None, typer.Option(help="Only those in their state at least this long: 14d, 12h, 30m.")] = None,
    wave: Annotated[int | None, typer.Option(min=1, help="Only participants of this wave.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many (longest in state first).")] = 100,
    as_json: AsJson = False, endpoint_url: Endpoint = None, region: Region = None, table: Table = None,
) -> None:
    """Lifecycle executions with participant, current state and age."""
    from . import reads

    try:
        age = reads.parse_duration(older_than) if older_than else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--older-than") from None
    target = _connect(endpoint_url, region, table)
    report = _run(target, lambda t: reads.executions_report(t, status.value if status else None, state, age, wave, limit))
    _emit(report, as_json, _print_executions)


def _print_executions(r: dict) -> None:
    from .reads import human

    print(f"{'participant':<20} {'wave':>4} {'status':<10} {'state':<24} {'in state':>9} {'age':>9}")
    for row in r["executions"]:
        print(f"{row['participant_id']:<20} {row['wave'] or '-':>4} {row['status']:<10} {row['state'] or '?':<24}"
              f" {human(row['in_state_seconds']):>9} {human(row['age_seconds']):>9}")
    print(f"{r['matched']} matched of {r['listed']} executions; shown {len(r['executions'])}")


@ops_app.command()
def history(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    graph: Annotated[str | None, typer.Option(help="Also write an SVG of the state machine with this path highlighted.")] = None,
    as_json: AsJson = False, endpoint_url: Endpoint = None, region: Region = None, table: Table = None,
) -> None:
    """The execution's timeline merged with the participant's ledger."""
    from . import graph as graph_svg
    from . import reads

    target = _connect(endpoint_url, region, table)
    report = _run(target, lambda t: reads.history_report(t, reference))
    if graph:
        from pathlib import Path

        Path(graph).write_text(graph_svg.render(report["path"], report["current_state"], report["failed_state"]), encoding="utf-8")
        report["graph"] = graph
    _emit(report, as_json, _print_history)
    raise typer.Exit(1 if report["failed_state"] or report["execution_status"] is None else 0)


def _print_history(r: dict) -> None:
    print(f"participant {r['participant_id']}: execution {r['execution_status'] or 'none'}")
    for line in r["timeline"]:
        if line["source"] == "ledger":
            detail = f"ledger {line['type']} Rp{line['amount_idr']:,}"
        elif line["what"] == "failed":
            detail = f"{line['type']} {line.get('error')}: {line.get('cause')}"
        elif line.get("state"):
            detail = f"{line['what']:<8} {line['state']}"
        else:
            detail = f"execution {line['what']}"
        print(f"{line['at']}  {detail}")
    if r.get("graph"):
        print(f"graph written to {r['graph']}")


@ops_app.command()
def stuck(
    as_json: AsJson = False, endpoint_url: Endpoint = None, region: Region = None, table: Table = None,
) -> None:
    """Participants per waiting state and age bucket, with the oldest five per state."""
    from . import reads

    target = _connect(endpoint_url, region, table)
    report = _run(target, reads.stuck_report)
    _emit(report, as_json, _print_stuck)


def _print_stuck(r: dict) -> None:
    from .reads import human

    print(f"as of {r['as_of']}: {r['total_waiting']} waiting")
    for state, s in r["states"].items():
        buckets = "  ".join(f"{k} {v}" for k, v in s["buckets"].items())
        print(f"{state:<24} {s['waiting']:>6}   {buckets}")
        for row in s["oldest"]:
            print(f"    {row['participant_id']}  wave {row['wave']}  since {row['since']} ({human(row['seconds'])})")


# --- actions (confirmed, audited) ----------------------------------------------------------------------


def _wave(action: str, number: int, actor: str, reason: str, yes: bool, endpoint_url, region, table) -> None:
    from prakerja_flow.services import operator

    target = _connect(endpoint_url, region, table)
    _confirm(f"{action} wave {number}?", yes)

    def act(_t: Target):
        from prakerja_flow.domain.errors import DomainError

        try:
            return operator.change_wave(number, action, actor, reason, clock.now())
        except DomainError as error:
            raise operator.OperatorError(str(error)) from None

    item = _run(target, act)
    print(f"wave {number} is {item['status']}")


@wave_app.command("open")
def wave_open(number: Annotated[int, typer.Argument(min=1)], actor: Actor, reason: Reason, yes: Yes = False,
              endpoint_url: Endpoint = None, region: Region = None, table: Table = None) -> None:
    """Open wave N for registration."""
    _wave("open", number, actor, reason, yes, endpoint_url, region, table)


@wave_app.command("close")
def wave_close(number: Annotated[int, typer.Argument(min=1)], actor: Actor, reason: Reason, yes: Yes = False,
               endpoint_url: Endpoint = None, region: Region = None, table: Table = None) -> None:
    """Close wave N for registration."""
    _wave("close", number, actor, reason, yes, endpoint_url, region, table)


def _payouts(paused: bool, actor: str, reason: str, yes: bool, endpoint_url, region, table) -> None:
    from prakerja_flow.services import operator

    target = _connect(endpoint_url, region, table)
    _confirm("pause every payout run?" if paused else "resume payout runs?", yes)
    _run(target, lambda _t: operator.set_payouts_paused(paused, actor, reason, clock.now()))
    print("payouts paused: the payout run pays nothing until resumed" if paused else "payouts resumed")


@payouts_app.command("pause")
def payouts_pause(actor: Actor, reason: Reason, yes: Yes = False, endpoint_url: Endpoint = None, region: Region = None,
                  table: Table = None) -> None:
    """Stop every payout run from paying (programme-wide)."""
    _payouts(True, actor, reason, yes, endpoint_url, region, table)


@payouts_app.command("resume")
def payouts_resume(actor: Actor, reason: Reason, yes: Yes = False, endpoint_url: Endpoint = None, region: Region = None,
                   table: Table = None) -> None:
    """Let payout runs pay again."""
    _payouts(False, actor, reason, yes, endpoint_url, region, table)


class Kind(str, Enum):
    POST_TRAINING = "POST_TRAINING"
    SURVEY = "SURVEY"


@ops_app.command()
def retry(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    kind: Annotated[Kind, typer.Argument(help="POST_TRAINING or SURVEY.")],
    sequence: Annotated[int, typer.Argument(min=1, max=4)],
    actor: Actor, reason: Reason, yes: Yes = False,
    endpoint_url: Endpoint = None, region: Region = None, table: Table = None,
) -> None:
    """Make a FAILED entitlement due now: the next payout run tries it again."""
    from prakerja_flow.services import operator

    target, pid = _participant(reference, endpoint_url, region, table)
    _confirm(f"retry {kind.value} {sequence} of {pid} at the next payout run?", yes)
    _run(target, lambda _t: operator.retry_entitlement(pid, kind.value, sequence, actor, reason, clock.now()))
    print(f"{kind.value} {sequence} of {pid} is DUE: the next payout run checks the account again and pays it or records why not")


@ops_app.command()
def cancel(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    actor: Actor, reason: Reason, yes: Yes = False,
    endpoint_url: Endpoint = None, region: Region = None, table: Table = None,
) -> None:
    """Cancel a participation: unpaid entitlements CANCELLED, the execution ends in ParticipationCancelled."""
    from prakerja_flow.services import operator

    target, pid = _participant(reference, endpoint_url, region, table)
    _confirm(f"cancel the participation of {pid}? This cannot be undone", yes)
    out = _run(target, lambda _t: operator.cancel_participation(pid, actor, reason, clock.now()))
    print(f"{pid} cancelled; entitlements cancelled: {', '.join(out['cancelled_entitlements']) or 'none'}")
    if out["not_cancelled"]:
        print(f"left as they are (already sent to the provider or changed meanwhile): {', '.join(out['not_cancelled'])}")
    if not out["execution_told"]:
        print("the execution was not waiting: the cancellation waits in its inbox and ends it at its next wait")


@ops_app.command()
def redrive(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    actor: Actor, reason: Reason, yes: Yes = False,
    endpoint_url: Endpoint = None, region: Region = None, table: Table = None,
) -> None:
    """Redrive a FAILED execution from the state that failed (Step Functions RedriveExecution)."""
    from prakerja_flow.services import operator

    target, pid = _participant(reference, endpoint_url, region, table)
    arn = target.execution_arn(pid)
    _confirm(f"redrive execution {arn}?", yes)
    out = _run(target, lambda _t: operator.redrive_execution(arn, actor, reason, clock.now()))
    print(f"redriven at {out['redrive_date']}")


