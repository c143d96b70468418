"""The `prakerja` command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Prakerja Flow: the Kartu Prakerja lifecycle on AWS Step Functions.",
)
local_app = typer.Typer(no_args_is_help=True, help="The embedded default: the whole system on moto, no AWS account.")
app.add_typer(local_app, name="local")

from .ops import ops_app  # noqa: E402 - the sub-app registers after the main app exists

app.add_typer(ops_app, name="ops")


@app.command()
def simulate(
    participants: Annotated[int, typer.Option(min=1, max=100_000, help="Synthetic participants in the wave.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same wave.")] = 1,
    faults: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of payment-provider calls that fail (0-0.9).")
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    statement: Annotated[str | None, typer.Option(help="Write the provider's statement here (JSON lines).")] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Afterwards, keep the simulated world up for `prakerja ops` "
            "(and the API) until Ctrl-C, its clock going on as in `local up`.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="With --serve: port of the platform API.")] = 3000,
    aws_port: Annotated[int, typer.Option(min=1, max=65535, help="With --serve: port of the AWS endpoint.")] = 5000,
    month_seconds: Annotated[
        float, typer.Option(min=0.5, help="With --serve: wall-clock seconds per programme month.")
    ] = 60.0,
    open_executions: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Step Functions' open-executions quota for this run (AWS: 1,000,000): "
            "registrations beyond it are answered 503 and retried the next day.",
        ),
    ] = None,
    shape: Annotated[
        str,
        typer.Option(
            help="When participants arrive: one-wave (one wave open for a week) or 2020 "
            "(the 2020 programme's eleven waves, scaled to --participants; prakerja/load_shape.py).",
        ),
    ] = "one-wave",
    scale: Annotated[
        int,
        typer.Option(
            min=1,
            help="Divide AWS's quotas by this, for a load divided by it: --participants 5500 --shape 2020 "
            "--scale 1000 is the 2020 programme at 1/1000, in virtual time (docs/capacity.md).",
        ),
    ] = 1,
    provider_latency_ms: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="The payment provider's round trip per call, charged in virtual time (K times "
            "over at --scale K; default with --scale: config.PAYMENT_PROVIDER_LATENCY, 100 ms).",
        ),
    ] = None,
    lifecycle_asl: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Run the lifecycle on this ASL file instead, to compare designs (the one before "
            "ADR 0013: tests/support/definitions/participant_lifecycle_before_0013.asl.json).",
        ),
    ] = None,
    payout_concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=40,
            help="Payout-run children side by side (default config.PAYOUT_RUN_MAX_CONCURRENCY, 16): "
            "with --scale, see what a narrower fan-out does to lateness.",
        ),
    ] = None,
) -> None:
    """Run a wave of synthetic participants through the real API and state machine."""
    from . import load_shape
    from .simulate import horizon_days
    from .simulate import simulate as run

    if shape not in load_shape.SHAPES:
        raise typer.BadParameter(f"one of {', '.join(load_shape.SHAPES)}", param_hint="--shape")

    if serve:
        if port == aws_port:
            raise typer.BadParameter("--port and --aws-port must differ")
        os.environ["MOTO_PORT"] = str(aws_port)  # as `local up` sets it, before the local cloud exists

    progress_cb, progress = None, None
    if sys.stderr.isatty() and not as_json:
        from rich.progress import Progress

        progress = Progress(
            transient=True, console=__import__("rich.console", fromlist=["Console"]).Console(stderr=True)
        )
        task = progress.add_task("simulating programme days", total=horizon_days(load_shape.plan(shape, participants)))
        progress.start()
        progress_cb = lambda done, total: progress.update(task, completed=done)  # noqa: E731

    def report_then_serve(cloud, report) -> None:
        if progress:
            progress.stop()
        _report(report.as_dict(), as_json)
        from .local.server import serve as serve_world

        def ready(cloud) -> None:
            for line in _endpoint_lines(cloud, port, aws_port, month_seconds):
                print(line, file=sys.stderr, flush=True)  # stdout stays the summary

        serve_world(cloud, port, aws_port, month_seconds, ready=ready)

    try:
        report = run(
            participants,
            seed,
            faults,
            statement,
            progress_cb,
            then=report_then_serve if serve else None,
            open_executions_quota=open_executions,
            shape=shape,
            scale=scale,
            lifecycle_asl=lifecycle_asl,
            provider_latency_ms=provider_latency_ms,
            payout_concurrency=payout_concurrency,
        )
    finally:
        if progress:
            progress.stop()
    summary = report.as_dict()
    if not serve:
        _report(summary, as_json)
    raise typer.Exit(0 if summary["ok"] else 1)


def _report(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, sort_keys=True), flush=True)
    else:
        _print_summary(summary)


def _endpoint_lines(cloud, port: int, aws_port: int, month_seconds: float) -> list[str]:
    return [
        f"platform API      http://127.0.0.1:{port}",
        f"AWS endpoint      http://127.0.0.1:{aws_port}  (region ap-southeast-3, any credentials)",
        f"state machine     {cloud.state_machine_arn}",
        f"programme clock   {cloud.clock().isoformat()}, one month = {month_seconds:g} s; Ctrl-C stops",
    ]


def _print_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"Simulated programme: {summary['participants']} participants, "
        f"seed {summary['seed']}, faults {summary['faults']}"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for state, count in summary["final_states"].items():
        table.add_row(f"final state: {state}", str(count))
    for status, count in summary["executions_by_status"].items():
        table.add_row(f"executions {status}", str(count))
    for kind, amount in summary["paid_idr"].items():
        table.add_row(f"paid {kind}", f"Rp{amount:,}")
    table.add_row("load shape, scale", f"{summary['load_shape']}, 1/{summary['scale']:,}")
    quota = summary.get("open_executions_quota")
    table.add_row(
        "open executions at the peak",
        f"{summary['open_executions_peak']:,} (day {summary['open_executions_peak_day']})"
        + (f" of a quota of {quota:,}" if quota else ""),
    )
    if quota:
        table.add_row("first certificates answered 503, retried", str(summary["completions_deferred"]))
        for job, days in summary["scheduled_runs_not_started"].items():
            table.add_row(f"days {job} could not start (quota)", str(days))
    vt = summary.get("virtual_time")
    if vt:
        table.add_row("virtual time: provider latency", f"{vt['provider_latency_s'] * 1000:g} ms x {vt['scale']:,}")
        table.add_row(
            "virtual time: longest day's jobs",
            f"{vt['jobs_hours_max']} h (day {vt['jobs_longest_day']}); "
            f"{vt['jobs_days_over_payout_run_timeout']} days over the run's timeout",
        )
        for api, n in vt["throttled"].items():
            table.add_row(f"throttled after retries: {api}", str(n))
        for api, n in vt["retried"].items():
            table.add_row(f"throttled, then admitted on a retry: {api}", str(n))
        for fn, n in vt["lambda_timeouts"].items():
            table.add_row(f"Lambda timeouts: {fn}", str(n))
    table.add_row("wall time", f"{summary['wall_seconds']} s")
    table.add_row("lifecycles per second", str(summary["lifecycles_per_second"]))
    for name, value in summary["state_transitions_per_lifecycle"].items():
        table.add_row(f"billed state transitions ({name})", str(value))
    for name, value in summary["lambda_invocations_per_lifecycle"].items():
        table.add_row(f"Lambda invocations ({name})", str(value))
    lateness = summary["payout_lateness"]
    for kind in ("POST_TRAINING", "SURVEY"):
        for cause, f in lateness[kind].items():
            figures = "-" if not f["count"] else f"p50 {f['p50_days']} / p95 {f['p95_days']} / max {f['max_days']} days"
            table.add_row(f"paid late {kind} ({cause})", f"{figures}; {f['count']} paid, {f['unpaid']} unpaid")
    console.print(table)
    never = [f"due, never attempted by a payout run: {key}" for key in lateness["never_attempted"]]
    for line in summary["unexpected_responses"] + summary["invariant_violations"] + never:
        console.print(f"[red]problem:[/red] {line}")
    console.print("[green]all money invariants hold[/green]" if summary["ok"] else "[red]invariants broken[/red]")


@local_app.command("up")
def local_up(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the platform API.")] = 3000,
    aws_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port of the AWS-compatible endpoint (moto server).")
    ] = 5000,
    month_seconds: Annotated[
        float, typer.Option(min=0.5, help="Wall-clock seconds per programme month (30 days).")
    ] = 60.0,
    start: Annotated[
        datetime | None, typer.Option(help="Programme time at start, UTC unless it names its offset (default: now).")
    ] = None,
) -> None:
    """Serve the API and an AWS endpoint on this machine until Ctrl-C."""
    from .local.server import up

    if port == aws_port:
        raise typer.BadParameter("--port and --aws-port must differ")
    if start is not None and start.tzinfo is None:
        # typer reads 2020-07-01T08:00:00 without an offset: a clock without one made the
        # functions compare it with the aware times they store (a purchase answered 500).
        start = start.replace(tzinfo=UTC)

    def ready(cloud) -> None:
        for line in _endpoint_lines(cloud, port, aws_port, month_seconds):
            print(line, flush=True)

    up(port, aws_port, month_seconds, start, ready=ready)


def _function_logs_to_stderr() -> None:
    """The functions run in this process log as they do in Lambda, to stdout by default;
    here stdout is the command's result (`--json` must parse), so their lines go to stderr.
    Their logger is built by this import, so the local runtime's Powertools settings (log
    level WARNING, no tracing or metrics) must be in place first (an explicit setting wins)."""
    from .local.cloud import LOCAL_ENV

    for name, value in LOCAL_ENV.items():
        os.environ.setdefault(name, value)
    from prakerja_flow.observability import logger

    logger.registered_handler.setStream(sys.stderr)


def main() -> None:
    """Bad usage exits 2 with one line on stderr, as the project's CLI standard says."""
    _function_logs_to_stderr()
    try:
        code = app(standalone_mode=False)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as error:  # typer's own click: usage errors and bad parameters
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        if message.strip():
            print(f"prakerja: {' '.join(message.split())}", file=sys.stderr)
        sys.exit(getattr(error, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)
