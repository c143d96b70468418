"""`prakerja ops`: find any participant, see why they are not paid, act.

The commands only parse, print and confirm: what they read and do is in reads.py,
payouts.py, audit.py, waves.py, reconcile.py and actions.py, which the console
(prakerja/console/) calls too.

Exit status: 0 ok, 1 a problem was found (unknown participant, FAILED entitlement or
execution, unreachable endpoint, refused action), 2 bad usage."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from prakerja_flow.domain.vocabulary import ExecutionStatus  # typer's choices

from .aws import OpsError, OpsUsageError, Target, connect, set_connection_options, set_environment

ops_app = typer.Typer(
    no_args_is_help=True, help="Operator tooling: find any participant, see why they are not paid, act."
)
wave_app = typer.Typer(no_args_is_help=True, help="Waves: list them; open or close one for registration (audited).")
payouts_app = typer.Typer(no_args_is_help=True, help="Payout runs: their state now; pause or resume them (audited).")
ops_app.add_typer(wave_app, name="wave")
ops_app.add_typer(payouts_app, name="payouts")

Endpoint = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="AWS-compatible endpoint, e.g. http://127.0.0.1:5000 (default: AWS_ENDPOINT_URL, else AWS).",
    ),
]
Region = Annotated[str | None, typer.Option(help="AWS region (default: AWS_DEFAULT_REGION, else ap-southeast-3).")]
Table = Annotated[
    str | None,
    typer.Option(
        help="DynamoDB table name (default: prakerja-flow, or <env>-prakerja-flow with --env / PRAKERJA_ENV)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
AsCsv = Annotated[bool, typer.Option("--csv", help="Print CSV: a header line, then one line per row.")]
Actor = Annotated[str, typer.Option(help="Who is acting (written to the audit log).")]
Reason = Annotated[str, typer.Option(help="Why (written to the audit log).")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
PauseWave = Annotated[int | None, typer.Option(min=1, help="Only this wave's payouts (default: programme-wide).")]


@ops_app.callback()
def _options(
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            envvar="PRAKERJA_ENV",
            help="Deployed environment (cdk -c env=...): "
            "names become <env>-prakerja-flow, <env>-participant-lifecycle. Not needed locally.",
        ),
    ] = None,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Connection options go before the command or after it (the command's win)."""
    set_environment(env)
    set_connection_options(endpoint_url, region, table)


def fail(message: str, code: int = 1) -> typer.Exit:
    print(f"prakerja: {message}", file=sys.stderr)
    return typer.Exit(code)


def _connect(endpoint_url: str | None, region: str | None, table: str | None) -> Target:
    try:
        return connect(endpoint_url, region, table)
    except OpsError as error:
        raise fail(str(error)) from None


def _run(target: Target, action, *args, **kwargs):
    """Runs a read or an action on the stack's programme clock; one line on stderr and exit
    1 when it cannot (2 for bad usage found once connected: an unknown wave or state)."""
    from prakerja_flow.services.operator import OperatorError

    try:
        target.clock  # noqa: B018 - read first: everything after runs on the stack's clock
        return action(target, *args, **kwargs)
    except OpsUsageError as error:
        raise fail(str(error), 2) from None
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


def _one_format(as_json: bool, as_csv: bool) -> None:
    if as_json and as_csv:
        raise typer.BadParameter("give --json or --csv, not both")


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
    as_json: AsJson = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
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
    if r.get("before_lifecycle"):
        print(
            f"execution     not started: it starts at the first certificate; waiting for the"
            f" {r['before_lifecycle'].lower()} for {human(r['in_state_seconds'])} (since {r['in_state_since']})"
        )
    else:
        print(
            f"execution     {execution.get('status', 'none')}  state {r['current_state'] or '-'}"
            f" for {human(r['in_state_seconds'])} (since {r['in_state_since'] or '-'})"
        )
    print(
        f"balance       Rp{r['balance_idr']:,} training, Rp{r['cash_paid_idr']:,} cash paid;"
        f" account {(r['payout_account'] or {}).get('channel', 'none')}"
        f" {(r['payout_account'] or {}).get('account_number_masked', '')}"
    )
    if r["cancellation"]:
        c = r["cancellation"]
        print(f"cancelled     by {c['by']} at {c['at']}: {c['reason']}")
    if r["payouts_paused"]:
        p = r["payouts_paused"]
        print(f"payouts       PAUSED {p['scope_text']} since {p['at']} by {p['actor']}: {p['reason']}")
    for p in r["purchases"]:
        print(
            f"training      {p['training_id']} ({p['purchase_id']}, {p['platform_id']}, Rp{p['price_idr']:,})"
            f" {p['status']}; certificate {p['certificate_id'] or '-'}; rated {'yes' if p['rated'] else 'no'}"
        )
    for e in r["entitlements"]:
        when = e.get("paid_at") or e.get("due_at") or e.get("expires_at") or "-"
        reason = {"FAILED": e.get("failure_reason"), "CANCELLED": e.get("cancelled_reason")}.get(e["status"])
        why = f"  {reason}" if reason else ""
        held = " PAUSED" if e.get("paused") else ""
        print(
            f"entitlement   {e['kind']} {e['sequence']} Rp{e['amount_idr']:,} {e['status']}{held}"
            f" ({e['label']}) {when[:10]}{why}"
        )
    for paid in r["paid_by"]:
        settled = f"; settled by {', '.join(paid['settled_by'])}" if paid.get("settled_by") else ""
        print(
            f"paid by       {paid['workflow']} {paid['execution_arn']}"
            f" ({', '.join(paid['paid'])}; Rp{paid['paid_idr']:,}{settled})"
        )
    print(f"diagnosis     {r['diagnosis']}")


@ops_app.command()
def executions(
    status: Annotated[ExecutionStatus | None, typer.Option(help="Only executions with this status.")] = None,
    state: Annotated[str | None, typer.Option(help="Only executions in this state, e.g. AwaitRating.")] = None,
    older_than: Annotated[
        str | None, typer.Option(help="Only those in their state at least this long: 14d, 12h, 30m.")
    ] = None,
    wave: Annotated[int | None, typer.Option(min=1, help="Only participants of this wave.")] = None,
    never_paid: Annotated[bool, typer.Option("--never-paid", help="Only participants paid nothing yet.")] = False,
    payout_failed: Annotated[
        bool, typer.Option("--payout-failed", help="Only participants with a FAILED payout.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many (longest in state first).")] = 100,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Lifecycle executions with participant, current state and age."""
    from . import export, listing, reads

    _one_format(as_json, as_csv)
    try:
        age = reads.parse_duration(older_than) if older_than else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--older-than") from None
    try:
        reads.check_state(state)  # before connecting: the states are the ASL file's
    except OpsUsageError as error:
        raise fail(str(error), 2) from None
    target = _connect(endpoint_url, region, table)
    report = _run(
        target,
        lambda t: listing.executions_report(
            t, status.value if status else None, state, age, wave, limit, never_paid, payout_failed
        ),
    )
    if as_csv:
        print(export.to_csv(report["executions"], export.EXECUTION_COLUMNS), end="")
        return
    _emit(report, as_json, _print_executions)


def _print_executions(r: dict) -> None:
    from .reads import human

    print(f"{'participant':<20} {'wave':>4} {'status':<10} {'state':<24} {'in state':>9} {'age':>9}")
    for row in r["executions"]:
        print(
            f"{row['participant_id']:<20} {row['wave'] or '-':>4} {row['status']:<10} {row['state'] or '?':<24}"
            f" {human(row['in_state_seconds']):>9} {human(row['age_seconds']):>9}"
        )
    print(f"{r['matched']} matched of {r['listed']} executions; shown {len(r['executions'])}")


@ops_app.command()
def history(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    graph: Annotated[
        str | None, typer.Option(help="Also write an SVG of the state machine with this path highlighted.")
    ] = None,
    as_json: AsJson = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """The execution's timeline merged with the participant's ledger and operator actions."""
    from . import graph as graph_svg
    from . import reads

    target = _connect(endpoint_url, region, table)
    report = _run(target, lambda t: reads.history_report(t, reference))
    if graph:
        Path(graph).write_text(
            graph_svg.render(report["path"], report["current_state"], report["failed_state"]), encoding="utf-8"
        )
        report["graph"] = graph
    _emit(report, as_json, _print_history)
    raise typer.Exit(1 if report["failed_state"] or report["execution_status"] is None else 0)


def _print_history(r: dict) -> None:
    print(f"participant {r['participant_id']}: execution {r['execution_status'] or 'none'}")
    for line in r["timeline"]:
        if line["source"] == "ledger":
            detail = f"ledger {line['type']} Rp{line['amount_idr']:,}"
        elif line["source"] == "audit":
            detail = f"operator {line['type']} by {line['actor']}: {line['reason']}"
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
    as_json: AsJson = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Participants per waiting state and age bucket, with the oldest five per state."""
    from . import listing

    target = _connect(endpoint_url, region, table)
    report = _run(target, listing.stuck_report)
    _emit(report, as_json, _print_stuck)


def _print_stuck(r: dict) -> None:
    from .reads import human

    print(f"as of {r['as_of']}: {r['total_waiting']} waiting")
    for state, s in r["states"].items():
        buckets = "  ".join(f"{k} {v}" for k, v in s["buckets"].items())
        print(f"{state:<24} {s['waiting']:>6}   {buckets}")
        for row in s["oldest"]:
            print(f"    {row['participant_id']}  wave {row['wave']}  since {row['since']} ({human(row['seconds'])})")


@ops_app.command()
def audit(
    day: Annotated[str | None, typer.Option(help="One programme day, e.g. 2020-08-17 (default: today).")] = None,
    since: Annotated[str | None, typer.Option(help="First day of a range.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day of a range (default: today).")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor's actions.")] = None,
    participant_ref: Annotated[
        str | None, typer.Option("--participant", help="Only actions on this participant (id or NIK).")
    ] = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """The audit log of operator actions: by day, actor, participant."""
    from . import audit as audit_log
    from . import export, reads

    _one_format(as_json, as_csv)
    target = _connect(endpoint_url, region, table)

    def read(t: Target) -> dict:
        pid = reads.resolve(participant_ref) if participant_ref else None
        return audit_log.report(t, day, since, until, actor, pid)

    report = _run(target, read)
    if as_csv:
        print(export.to_csv(export.audit_rows(report["entries"]), export.AUDIT_COLUMNS), end="")
        return
    _emit(report, as_json, _print_audit)


def _print_audit(r: dict) -> None:
    print(f"audit log {r['since']} to {r['until']}: {r['count']} action(s)")
    for e in r["entries"]:
        details = ", ".join(f"{k}={v}" for k, v in sorted((e.get("details") or {}).items()))
        print(f"{e['at']}  {e['actor']:<16} {e['action']:<20} {e['reason']}{f'  ({details})' if details else ''}")


@ops_app.command()
def reconcile(
    statement: Annotated[
        Path,
        typer.Option(
            help="The provider's statement, JSON lines (prakerja simulate --statement FILE writes one).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    since: Annotated[
        str | None, typer.Option(help="Window start, ISO time (default: the statement's first line).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Window end, ISO time (default: just after its last line).")] = None,
    as_json: AsJson = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """The provider's statement against our ledger: every mismatch in words. Exit 1 when there is one."""
    from . import reconcile as recon

    try:
        lines = recon.parse_statement(statement.read_text(encoding="utf-8"))
    except (OpsUsageError, UnicodeDecodeError) as error:
        raise fail(f"cannot read {statement}: {error}", 2) from None
    target = _connect(endpoint_url, region, table)
    report = _run(target, lambda t: recon.reconcile_report(t, lines, since, until))
    _emit(report, as_json, _print_reconcile)
    raise typer.Exit(1 if report["mismatches"] or report["statement_problems"] else 0)


def _print_reconcile(r: dict) -> None:
    print(
        f"statement {r['since']} to {r['until']}: {r['statement_lines']} lines, "
        f"{r['provider_paid']} paid (Rp{r['paid_idr']:,}); "
        f"{r['participants_checked']} participants' ledgers checked"
    )
    for m in r["mismatches"]:
        print(f"mismatch  {m['kind']:<20} {m['participant_id']}  {m['detail']}")
    for problem in r["statement_problems"]:
        print(f"statement {problem}")
    if r["pending"]:
        print(f"pending   {len(r['pending'])} paid by the provider, SENT with us: the next payout run settles them")
    print(
        "clean"
        if r["clean"] and not r["statement_problems"]
        else f"{len(r['mismatches']) + len(r['statement_problems'])} problem(s)"
    )


@wave_app.command("list")
def wave_list(
    as_json: AsJson = False, endpoint_url: Endpoint = None, region: Region = None, table: Table = None
) -> None:
    """Every wave: status, intake, payout pause, and where its participants are."""
    from . import listing, waves

    target = _connect(endpoint_url, region, table)
    report = _run(target, lambda t: waves.waves_report(t, listing.execution_rows(t, profile_all=True).rows))
    _emit(report, as_json, _print_waves)


def _print_waves(r: dict) -> None:
    for w in r["waves"]:
        states = ", ".join(f"{k} {v}" for k, v in (w["states"] or {}).items())
        print(
            f"wave {w['wave']:<4} {w['status']:<8} intake {w['intake']:>6}"
            f"{'  payouts PAUSED' if w['payouts_paused'] else ''}"
            f"{f'  ({states})' if states else ''}"
        )
    if not r["waves"]:
        print("no wave exists yet: prakerja ops wave open 1 --actor ... --reason ...")


@payouts_app.command("status")
def payouts_status(
    as_json: AsJson = False, endpoint_url: Endpoint = None, region: Region = None, table: Table = None
) -> None:
    """Pauses (programme and per wave), the budget, and what is due, sent and failed now."""
    from . import payouts

    target = _connect(endpoint_url, region, table)
    report = _run(target, payouts.status_report)
    _emit(report, as_json, _print_payouts)


@payouts_app.command("runs")
def payouts_runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Show this many, newest first.")] = 10,
    as_json: AsJson = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """The last payout-run executions: shards worked on and failed, what each paid."""
    from . import payouts

    target = _connect(endpoint_url, region, table)
    report = _run(target, lambda t: payouts.recent_runs(t, limit))
    _emit(report, as_json, _print_runs)


def _print_runs(r: dict) -> None:
    if not r["runs"]:
        print(f"no payout run has started yet ({r['state_machine_arn']})")
    for run in r["runs"]:
        state = "PAUSED" if run["paused"] else run["status"]
        failed = f"; FAILED shards {run['failed_shards']} {run['shard_errors']}" if run["failed_shards"] else ""
        late = "; stopped with work left (backlog)" if run["stopped_early"] else ""
        why = f"; {run['error']}: {run['cause']}" if run["error"] else ""
        print(
            f"{(run['as_of'] or run['started'] or '-')[:16]}  {state:<9} paid {run['paid']} (Rp{run['paid_idr']:,}) "
            f"from {len(run['shards'])} shards{failed}{late}{why}  {run['execution_arn']}"
        )


def _print_payouts(r: dict) -> None:
    p = r["programme_pause"]
    since = f" (since {p['at']} by {p['actor']}: {p['reason']})" if r["paused"] else ""
    print(f"as of {r['as_of']}: payouts {'PAUSED programme-wide' if r['paused'] else 'running'}{since}")
    for w in r["wave_pauses"]:
        if w["paused"]:
            print(f"wave {w['wave']:<4} PAUSED since {w['at']} by {w['actor']}: {w['reason']}")
    b = r["budget"]
    print(
        f"budget        Rp{b['committed_idr']:,} committed of Rp{b['ceiling_idr']:,} ({b['ceiling_from']}); "
        f"Rp{b['remaining_idr']:,} left; Rp{b['paid_idr']:,} paid"
        + (f"; Rp{b['leased_idr']:,} leased to payout shards paying now" if b["leased_idr"] else "")
    )
    q = r["queue"]
    print(f"due now       {q['due']['count']} (Rp{q['due']['amount_idr']:,})")
    print(f"sent          {q['sent']['count']} (Rp{q['sent']['amount_idr']:,}) awaiting the provider's answer")
    print(
        f"failed        {q['failed']['count']} (Rp{q['failed']['amount_idr']:,}); "
        "retried by each run once the cause is gone"
    )
    for f in q["failed_by_reason"]:
        print(f"    {f['count']:>5}  {f['failure_code']}: {f['example']}")
    print(f"later         {q['scheduled_later']} scheduled after now")
