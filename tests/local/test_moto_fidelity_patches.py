"""The fidelity patches: moto answers as AWS does. Each test shows moto's own answer without
the patch (what the patch fixes) and the AWS answer with it, through boto3 in-process."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from moto_scenarios import moto_world
from scenarios_step_functions import TokenWorld

from prakerja.local import moto_patches
from prakerja.local.moto_patches import fidelity
from prakerja.local.moto_patches.fidelity import stop_execution


@pytest.fixture
def world():
    moto_patches.install()
    with moto_world():
        yield TokenWorld()


def error_code(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


# --- a used task token is refused -------------------------------------------------------------


def test_a_used_task_token_is_refused(world):
    arn = world.start("used")
    token = world.token("used")
    world.sfn.send_task_success(taskToken=token, output=json.dumps({"ok": True}))
    world.wait_status(arn, "SUCCEEDED")
    assert error_code(lambda: world.sfn.send_task_success(taskToken=token, output="{}")) == "InvalidToken"
    assert error_code(lambda: world.sfn.send_task_failure(taskToken=token, error="E")) == "InvalidToken"


def test_without_the_patch_moto_accepts_a_used_token_silently(world):
    with moto_patches.without(fidelity.used_tokens_refused):
        arn = world.start("used")
        token = world.token("used")
        world.sfn.send_task_failure(taskToken=token, error="Refused")
        world.wait_status(arn, "FAILED")
        assert world.sfn.send_task_failure(taskToken=token, error="E")["ResponseMetadata"]["HTTPStatusCode"] == 200


# --- StopExecution aborts -------------------------------------------------------------------------


def test_stop_execution_aborts_a_task_waiting_for_its_token(world):
    arn = world.start("stopped")
    token = world.token("stopped")
    stopped = world.sfn.stop_execution(executionArn=arn, error="Manual", cause="operator said so")
    described = world.sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Manual", "operator said so")
    assert described["stopDate"] == stopped["stopDate"]
    assert stop_execution.wait_ended(world.backend_execution(arn), 10), (
        "the interpreter thread still waits on its token"
    )
    events = world.sfn.get_execution_history(executionArn=arn)["events"]
    assert events[-1]["type"] == "ExecutionAborted" and events[-1]["previousEventId"] == 0
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Manual", "cause": "operator said so"}
    assert [e["type"] for e in events if e["type"].endswith(("Failed", "TimedOut", "Exited", "Succeeded"))] == []
    # The task is closed: its token is refused, as AWS refuses it.
    for send in (
        lambda: world.sfn.send_task_failure(taskToken=token, error="Late"),
        lambda: world.sfn.send_task_success(taskToken=token, output="{}"),
        lambda: world.sfn.send_task_heartbeat(taskToken=token),
    ):
        assert error_code(send) == "TaskTimedOut"
    assert world.sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    assert world.sfn.get_execution_history(executionArn=arn)["events"] == events  # nothing written after the abort


def test_stop_execution_without_error_or_cause(world):
    arn = world.start("bare")
    world.token("bare")
    world.sfn.stop_execution(executionArn=arn)
    described = world.sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED" and "error" not in described and "cause" not in described
    aborted = world.sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"][0]
    assert aborted["type"] == "ExecutionAborted" and aborted["executionAbortedEventDetails"] == {}


def test_stopping_an_execution_that_ended_changes_nothing(world):
    arn = world.start("done")
    world.sfn.send_task_success(taskToken=world.token("done"), output=json.dumps({"ok": True}))
    world.wait_status(arn, "SUCCEEDED")
    before = world.sfn.describe_execution(executionArn=arn)
    assert world.sfn.stop_execution(executionArn=arn, error="Late")["stopDate"] == before["stopDate"]
    assert world.sfn.describe_execution(executionArn=arn) | {"ResponseMetadata": None} == before | {
        "ResponseMetadata": None
    }
    assert (
        error_code(lambda: world.sfn.stop_execution(executionArn=arn.replace(":done", ":nobody")))
        == "ExecutionDoesNotExist"
    )


def test_without_the_patch_stop_leaves_the_execution_running(world):
    with moto_patches.without(fidelity.stop_execution):
        arn = world.start("moto")
        token = world.token("moto")
        world.sfn.stop_execution(executionArn=arn, error="Manual")
        assert world.status(arn) == "RUNNING"
        world.sfn.send_task_success(taskToken=token, output=json.dumps({"ok": True}))  # moto still takes it
        world.wait_status(arn, "ABORTED")


# --- GetExecutionHistory pages ----------------------------------------------------------------------


def test_history_pages_forward_and_backward(world):
    arn = world.start("paged")
    world.sfn.send_task_success(taskToken=world.token("paged"), output=json.dumps({"ok": True}))
    world.wait_status(arn, "SUCCEEDED")
    everything = world.sfn.get_execution_history(executionArn=arn, maxResults=1000)
    ids = [e["id"] for e in everything["events"]]
    assert ids == sorted(ids) and len(ids) > 5 and "nextToken" not in everything
    for reverse in (False, True):
        pages, kwargs = [], {"executionArn": arn, "maxResults": 2, "reverseOrder": reverse}
        while True:
            out = world.sfn.get_execution_history(**kwargs)
            pages.append([e["id"] for e in out["events"]])
            if "nextToken" not in out:
                break
            kwargs["nextToken"] = out["nextToken"]
        assert all(len(p) == 2 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 2
        assert sum(pages, []) == (ids[::-1] if reverse else ids)
    assert len(world.sfn.get_execution_history(executionArn=arn)["events"]) == len(ids)  # default page: 100


def test_history_token_and_page_size_are_checked(world):
    arn = world.start("checked")
    world.token("checked")
    first = world.sfn.get_execution_history(executionArn=arn, maxResults=1)
    token = first["nextToken"]
    assert (
        error_code(
            lambda: world.sfn.get_execution_history(executionArn=arn, maxResults=1, nextToken=token, reverseOrder=True)
        )
        == "InvalidToken"
    )
    assert (
        error_code(lambda: world.sfn.get_execution_history(executionArn=arn, nextToken="not-a-token")) == "InvalidToken"
    )
    other = world.start("other")
    assert error_code(lambda: world.sfn.get_execution_history(executionArn=other, nextToken=token)) == "InvalidToken"
    assert (
        error_code(lambda: world.sfn.get_execution_history(executionArn=arn, maxResults=1001)) == "ValidationException"
    )


def test_events_written_between_pages_are_neither_skipped_nor_repeated(world):
    arn = world.start("growing")
    token = world.token("growing")
    first = world.sfn.get_execution_history(executionArn=arn, maxResults=2)
    world.sfn.send_task_success(taskToken=token, output=json.dumps({"ok": True}))
    world.wait_status(arn, "SUCCEEDED")
    rest = world.sfn.get_execution_history(executionArn=arn, maxResults=1000, nextToken=first["nextToken"])
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == list(range(1, len(ids) + 1)) and rest["events"][-1]["type"] == "ExecutionSucceeded"


def test_without_the_patch_history_ignores_page_size_and_order(world):
    with moto_patches.without(fidelity.execution_history_pages):
        arn = world.start("moto")
        world.token("moto")
        out = world.sfn.get_execution_history(executionArn=arn, maxResults=1, reverseOrder=True)
        assert len(out["events"]) > 1 and out["events"][0]["id"] == 1 and "nextToken" not in out


# --- DescribeExecution's redrive fields --------------------------------------------------------------


def redrive_fields(world, arn: str) -> dict:
    out = world.sfn.describe_execution(executionArn=arn)
    return {k: out[k] for k in ("redriveCount", "redriveStatus", "redriveStatusReason", "redriveDate") if k in out}


def test_redrive_status_follows_the_execution(world):
    running = world.start("running")
    world.token("running")
    assert redrive_fields(world, running) == {
        "redriveCount": 0,
        "redriveStatus": "NOT_REDRIVABLE",
        "redriveStatusReason": "Execution is RUNNING and cannot be redriven.",
    }
    failed = world.start("failed")
    world.sfn.send_task_success(taskToken=world.token("failed"), output=json.dumps({"ok": False}))
    world.wait_status(failed, "FAILED")
    assert redrive_fields(world, failed) == {"redriveCount": 0, "redriveStatus": "REDRIVABLE"}
    world.sfn.stop_execution(executionArn=running)
    assert redrive_fields(world, running) == {"redriveCount": 0, "redriveStatus": "REDRIVABLE"}
    done = world.start("done")
    world.sfn.send_task_success(taskToken=world.token("done"), output=json.dumps({"ok": True}))
    world.wait_status(done, "SUCCEEDED")
    assert redrive_fields(world, done)["redriveStatus"] == "NOT_REDRIVABLE"


def test_a_redriven_aborted_execution_counts_its_redrive_and_runs_its_waiting_state_again(world):
    arn = world.start("again")
    world.token("again")
    world.sfn.stop_execution(executionArn=arn, error="Manual")
    redriven = world.sfn.redrive_execution(executionArn=arn)
    fields = redrive_fields(world, arn)
    assert (fields["redriveCount"], fields["redriveStatus"], fields["redriveDate"]) == (
        1,
        "NOT_REDRIVABLE",
        redriven["redriveDate"],
    )
    world.sfn.send_task_success(taskToken=_second_token("again"), output=json.dumps({"ok": True}))
    world.wait_status(arn, "SUCCEEDED")
    events = [e["type"] for e in world.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]
    assert events.index("ExecutionAborted") < events.index("ExecutionRedriven") < events.index("ExecutionSucceeded")
    assert redrive_fields(world, arn)["redriveCount"] == 1


def _second_token(run: str) -> str:
    """The token the waiting state was given when it ran again."""
    import scenarios_step_functions as sfn

    sfn._wait(lambda: sum(1 for r, _ in sfn._tokens if r == run) >= 2)
    return [t for r, t in sfn._tokens if r == run][-1]


def test_without_the_patch_describe_has_no_redrive_fields(world):
    with moto_patches.without(fidelity.redrive_status):
        arn = world.start("moto")
        world.token("moto")
        assert redrive_fields(world, arn) == {}


def test_without_the_patch_moto_has_no_redrive_execution(world):
    with moto_patches.without(fidelity.redrive_execution):
        arn = world.start("unredrivable")
        world.token("unredrivable")
        world.sfn.stop_execution(executionArn=arn, error="Manual")
        with pytest.raises(NotImplementedError, match="redrive_execution action has not been implemented"):
            world.sfn.redrive_execution(executionArn=arn)
