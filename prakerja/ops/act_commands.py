"""`prakerja ops` commands that change something (waves, pauses, retry, cancel, redrive):
confirmed, need --actor and --reason, audited by actions.perform; and `ops console`.
They register on the apps of commands.py."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .aws import OpsUsageError, Target
from .commands import (
    Actor,
    Endpoint,
    PauseWave,
    Reason,
    Region,
    Table,
    Yes,
    _confirm,
    _connect,
    _run,
    fail,
    ops_app,
    payouts_app,
    wave_app,
)


def _act(target: Target, action, actor: str, reason: str, yes: bool) -> None:
    from . import actions

    try:
        actor, reason = actions.checked_words(actor, reason)
    except OpsUsageError as error:
        raise fail(str(error), 2) from None
    _confirm(action.question(), yes)
    outcome = _run(target, lambda t: actions.perform(t, action, actor, reason))
    for line in outcome.lines:
        print(line)


def _build(name: str, **params):
    from . import actions

    try:
        return actions.build(name, params)
    except OpsUsageError as error:
        raise fail(str(error), 2) from None


# --- actions (confirmed, audited) ----------------------------------------------------------------------


@wave_app.command("open")
def wave_open(
    number: Annotated[int, typer.Argument(min=1)],
    actor: Actor,
    reason: Reason,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Open wave N for registration."""
    action = _build("wave.open", wave=number)
    _act(_connect(endpoint_url, region, table), action, actor, reason, yes)


@wave_app.command("close")
def wave_close(
    number: Annotated[int, typer.Argument(min=1)],
    actor: Actor,
    reason: Reason,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Close wave N for registration."""
    action = _build("wave.close", wave=number)
    _act(_connect(endpoint_url, region, table), action, actor, reason, yes)


@payouts_app.command("pause")
def payouts_pause(
    actor: Actor,
    reason: Reason,
    wave: PauseWave = None,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Stop every payout run from paying (programme-wide, or one wave's participants)."""
    action = _build("payouts.pause", wave=wave)
    _act(_connect(endpoint_url, region, table), action, actor, reason, yes)


@payouts_app.command("resume")
def payouts_resume(
    actor: Actor,
    reason: Reason,
    wave: PauseWave = None,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Let payout runs pay again (programme-wide, or one wave's participants)."""
    action = _build("payouts.resume", wave=wave)
    _act(_connect(endpoint_url, region, table), action, actor, reason, yes)


class Kind(str, Enum):
    POST_TRAINING = "POST_TRAINING"
    SURVEY = "SURVEY"


def _on_participant(
    name: str, reference: str, actor: str, reason: str, yes: bool, endpoint_url, region, table, **params
) -> None:
    from .reads import resolve

    target = _connect(endpoint_url, region, table)
    pid = _run(target, lambda _t: resolve(reference))
    _act(target, _build(name, participant_id=pid, **params), actor, reason, yes)


@ops_app.command()
def retry(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    kind: Annotated[Kind, typer.Argument(help="POST_TRAINING or SURVEY.")],
    sequence: Annotated[int, typer.Argument(min=1, max=4)],
    actor: Actor,
    reason: Reason,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Make a FAILED entitlement due now: the next payout run tries it again."""
    _on_participant(
        "entitlement.retry",
        reference,
        actor,
        reason,
        yes,
        endpoint_url,
        region,
        table,
        kind=kind.value,
        sequence=sequence,
    )


@ops_app.command()
def cancel(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    actor: Actor,
    reason: Reason,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Cancel a participation: unpaid entitlements CANCELLED, the execution ends in ParticipationCancelled."""
    _on_participant("participant.cancel", reference, actor, reason, yes, endpoint_url, region, table)


@ops_app.command()
def redrive(
    reference: Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")],
    actor: Actor,
    reason: Reason,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Redrive a FAILED execution from the state that failed (Step Functions RedriveExecution)."""
    _on_participant("execution.redrive", reference, actor, reason, yes, endpoint_url, region, table)


# --- the console --------------------------------------------------------------------------------------


@ops_app.command()
def console(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free one).")] = 8765,
    read_only: Annotated[bool, typer.Option("--read-only", help="Refuse every action (for support staff).")] = False,
    actor: Annotated[str | None, typer.Option(help="Who acts, in the audit log (default: your login name).")] = None,
    statement: Annotated[
        Path | None,
        typer.Option(
            help="A provider statement to reconcile against (JSON lines).", exists=True, dir_okay=False, readable=True
        ),
    ] = None,
    refresh: Annotated[
        float,
        typer.Option(
            min=1.0, help="Seconds between background re-reads of the lists (at least 3 times what a read takes)."
        ),
    ] = 30.0,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """A web console on 127.0.0.1 with the reads and actions of `prakerja ops` (Ctrl-C stops it)."""
    import getpass

    from ..console import server
    from . import actions

    who = actor or getpass.getuser()
    try:
        actions.checked_words(who, "console")
    except OpsUsageError as error:
        raise fail(str(error), 2) from None
    target = _connect(endpoint_url, region, table)
    _run(target, lambda t: None)  # reachable, and on the stack's clock
    lines = None
    if statement:
        from . import reconcile as recon

        try:
            lines = recon.parse_statement(statement.read_text(encoding="utf-8"))
        except (OpsUsageError, UnicodeDecodeError) as error:
            raise fail(f"cannot read {statement}: {error}", 2) from None
    try:
        server.serve(
            target,
            port,
            who,
            read_only,
            refresh,
            lines,
            ready=lambda url: print(
                f"console for {who}{' (read-only)' if read_only else ''}: {url}\nCtrl-C stops it", flush=True
            ),
        )
    except OSError as error:
        raise fail(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}") from None
