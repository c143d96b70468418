"""`prakerja ops clock`: the programme clock of the stack.

`show` prints it: the published segments and programme time now (a local stack's
simulated clock; a development stack's moved-ahead clock; the wall clock otherwise).
`advance` moves a development stack's clock forward (data/published_clock.py), so a test
participant's survey windows, payout months and deadlines come without waiting for them.
It refuses unless the stack's functions follow the published clock (deployed with
`-c programmeClock=true`, which infra/environment.py allows only for development
environments): otherwise `ops` would run on a time the functions do not. Confirmed, with
--actor and --reason, and audited like every other action."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer

from prakerja_flow import catalogue, clock, settings

from .aws import OpsError, OpsUsageError, Target, physical_name
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

clock_app = typer.Typer(
    no_args_is_help=True, help="The stack's programme clock: show it; move a development stack's forward."
)
ops_app.add_typer(clock_app, name="clock")
ADVANCE = "clock.advance"  # its name in the audit log


@clock_app.command("show")
def clock_show(
    as_json: AsJson = False, endpoint_url: Endpoint = None, region: Region = None, table: Table = None
) -> None:
    """Programme time now, and the segments the stack publishes (none: the wall clock)."""
    target = _connect(endpoint_url, region, table)
    data = _run(target, lambda t: t.clock.as_dict())
    _emit(
        data, as_json, lambda d: print(f"programme time {d['now']}" + ("" if d["published"] else " (the wall clock)"))
    )


@clock_app.command("advance")
def clock_advance(
    actor: Actor,
    reason: Reason,
    to: Annotated[str | None, typer.Option("--to", help="Programme time to move to (ISO 8601, UTC).")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, max=3650, help="Move this many days ahead.")] = None,
    yes: Yes = False,
    endpoint_url: Endpoint = None,
    region: Region = None,
    table: Table = None,
) -> None:
    """Move a development stack's programme clock forward (it never goes back)."""
    if (to is None) == (days is None):
        raise fail("give --to or --days, one of them", 2)
    # Imported when used: the functions' modules must load after the CLI set their environment.
    from . import actions

    try:
        actor, reason = actions.checked_words(actor, reason)
        moment = _moment(to) if to is not None else None
    except OpsUsageError as error:
        raise fail(str(error), 2) from None
    target = _connect(endpoint_url, region, table)
    moment = moment or _run(target, lambda t: t.now()) + timedelta(days=days or 0)
    _run(target, _require_functions_follow)
    _confirm(f"move the programme clock of {target.table_name} to {clock.iso(moment)}?", yes)
    _run(target, lambda t: _advance(t, moment, actor, reason))
    print(f"programme time is {clock.iso(moment)}: the functions see it within a second")


def _moment(text: str) -> datetime:
    try:
        return clock.parse(text).replace(microsecond=0)
    except ValueError:
        raise OpsUsageError(f"--to must be an ISO 8601 time such as 2026-03-01T08:00:00Z, not {text!r}") from None


def _require_functions_follow(target: Target) -> None:
    """The stack's API function is the one whose settings say which clock they all run on."""
    name = physical_name(catalogue.by_key(catalogue.API_FUNCTION_KEY).function_name)
    variables = target.client("lambda").get_function_configuration(FunctionName=name).get("Environment", {})
    if str(variables.get("Variables", {}).get(settings.ENV_PROGRAMME_CLOCK, "")).lower() != "true":
        raise OpsError(
            f"the functions of this stack ({name}) do not follow an advanced clock: only a development stack "
            "deployed with -c programmeClock=true does; nothing changed"
        )


def _advance(target: Target, moment: datetime, actor: str, reason: str) -> None:
    from prakerja_flow.data import audit, published_clock

    before = target.now()
    try:
        published_clock.advance(moment, unpublished=before)
    except ValueError as error:
        raise OpsUsageError(str(error)) from None
    audit.append(actor, ADVANCE, reason, before, previous=clock.iso(before), programme_time=clock.iso(moment))
