"""`prakerja ops clock`: show the stack's programme clock; move a development stack's forward."""

from __future__ import annotations

from datetime import timedelta

import boto3

from prakerja_flow import catalogue, clock, settings
from prakerja_flow.data import audit, published_clock

API_FUNCTION = catalogue.by_key(catalogue.API_FUNCTION_KEY).function_name


def follow_published_clock() -> None:
    """What `-c programmeClock=true` deploys: the functions' PROGRAMME_CLOCK setting."""
    functions = boto3.client("lambda")
    variables = functions.get_function_configuration(FunctionName=API_FUNCTION)["Environment"]["Variables"]
    functions.update_function_configuration(
        FunctionName=API_FUNCTION, Environment={"Variables": {**variables, settings.ENV_PROGRAMME_CLOCK: "true"}}
    )


def test_show_is_the_stacks_time(cloud, ops):
    code, out, _, data = ops("clock", "show", "--json")
    assert code == 0 and data["published"] is False and data["now"] == clock.iso(cloud.clock())
    assert ops("clock", "show")[1].strip() == f"programme time {clock.iso(cloud.clock())} (the wall clock)"


def test_a_stack_whose_functions_keep_their_clock_is_not_moved(cloud, ops):
    code, _, err, _ = ops("clock", "advance", "--days", "30", "--actor", "rizky", "--reason", "surveys", "--yes")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "do not follow an advanced clock" in err and "programmeClock=true" in err
    assert published_clock.read() == ()
    assert audit.day(clock.iso(cloud.clock())[:10]) == []


def test_a_development_stack_is_moved_forward_audited_and_never_back(cloud, ops):
    follow_published_clock()
    before = cloud.clock()
    to = before + timedelta(days=40)
    code, out, _, _ = ops(
        "clock", "advance", "--to", clock.iso(to), "--actor", "rizky", "--reason", "survey window", "--yes"
    )
    assert code == 0 and clock.iso(to) in out
    assert published_clock.read()[-1].programme == to
    (entry,) = audit.day(clock.iso(before)[:10])
    assert (entry["actor"], entry["action"], entry["reason"]) == ("rizky", "clock.advance", "survey window")
    assert entry["details"] == {"previous": clock.iso(before), "programme_time": clock.iso(to)}

    code, _, err, _ = ops(
        "clock", "advance", "--to", clock.iso(before), "--actor", "rizky", "--reason", "back", "--yes"
    )
    assert code == 2 and "only moves forward" in err and len(err.strip().splitlines()) == 1
    assert published_clock.read()[-1].programme == to


def test_bad_usage_is_exit_2_and_changes_nothing(cloud, ops):
    follow_published_clock()
    for args in (
        ("--days", "3", "--to", "2030-01-01T00:00:00Z"),
        (),
        ("--to", "next tuesday"),
        ("--days", "0"),
    ):
        code, _, err, _ = ops("clock", "advance", *args, "--actor", "rizky", "--reason", "x", "--yes")
        assert code == 2 and err.strip(), args
    assert ops("clock", "advance", "--days", "3", "--actor", "", "--reason", "x", "--yes")[0] == 2
    assert published_clock.read() == ()
