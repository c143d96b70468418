"""`prakerja ops` commands on participants' identifiers (ADR 0018): reveal, export,
correct-name and `identifiers migrate`. Each needs --actor and --reason and is audited
(prakerja/ops/identity.py); in AWS each needs the reveal role (docs/operations.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .commands import (
    Actor,
    AsJson,
    Endpoint,
    Reason,
    Region,
    Table,
    Yes,
    _confirm,
    _connect,
    _emit,
    _run,
    fail,
    ops_app,
)

identifiers_app = typer.Typer(help="Participants' identifiers: the migration of items stored in clear (ADR 0018).")
ops_app.add_typer(identifiers_app, name="identifiers")

Reference = Annotated[str, typer.Argument(help="Participant id or 16-digit NIK.")]


def _resolve(target, reference: str) -> str:
    from . import reads

    return _run(target, lambda t: reads.resolve(reference))


@ops_app.command("reveal")
def reveal(
    reference: Reference,
    actor: Actor,
    reason: Reason,
    as_json: AsJson = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """The participant's full NIK and name, audited (who, when, why) before they are shown."""
    from . import identity

    target = _connect(endpoint_url, region, table)
    pid = _resolve(target, reference)
    shown = _run(target, lambda t: identity.reveal(t, pid, actor, reason))
    _emit(
        shown, as_json, lambda r: print(f"participant   {r['participant_id']}  NIK {r['nik']}  name {r['full_name']}")
    )


@ops_app.command("export")
def export(
    reference: Reference,
    actor: Actor,
    reason: Reason,
    output: Annotated[Path | None, typer.Option(help="Write the JSON here instead of stdout.")] = None,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Every item stored about one participant, identifiers opened, as JSON (their right of
    access); audited."""
    from . import identity

    target = _connect(endpoint_url, region, table)
    pid = _resolve(target, reference)
    data = _run(target, lambda t: identity.export(t, pid, actor, reason))
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False, indent=2)
    if output is None:
        print(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(data['items'])} items of {pid} to {output}")


@ops_app.command("correct-name")
def correct_name(
    reference: Reference,
    name: Annotated[str, typer.Argument(help="The corrected full name.")],
    actor: Actor,
    reason: Reason,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Correct a participant's name (their right to rectification); audited."""
    from . import identity

    target = _connect(endpoint_url, region, table)
    pid = _resolve(target, reference)
    _confirm(f"correct the name of {pid}?", yes)
    outcome = _run(target, lambda t: identity.correct_name(t, pid, name, actor, reason))
    print(f"name of {pid} {outcome}")


@identifiers_app.command("migrate")
def migrate(
    actor: Actor,
    reason: Reason,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and count; change nothing.")] = False,
    start: Annotated[str | None, typer.Option(help="Resume where a run stopped (its resume_with).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after about this many profiles.")] = None,
    yes: Yes = False,
    as_json: AsJson = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Seal every profile stored in clear and move every NIK guard to the current key
    version (after ADR 0018, or after rotating the NIK lookup key). Resumable; audited."""
    from . import identity

    target = _connect(endpoint_url, region, table)
    if not dry_run:
        _confirm("seal every identifier stored in clear and move the NIK guards?", yes)
    run = _run(target, lambda t: identity.migrate(t, actor, reason, dry_run, start, limit))
    report = run.as_dict()
    _emit(report, as_json, lambda r: print("  ".join(f"{k} {v}" for k, v in r.items())))
    if run.conflicts:
        raise fail(f"{len(run.conflicts)} NIK guards name another participant: {', '.join(run.conflicts[:5])}")
