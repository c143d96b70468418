"""An execution stopped from outside the application (`aws stepfunctions stop-execution`):
the lifecycle's records stay consistent, and `ops` shows it and redrives it.

Decided: the participant's record (profile, purchases, entitlements) says what the
application last decided, because nothing in the application decided to stop; the
execution says ABORTED with the operator's error and cause, which `ops participant`
reports as the problem. The stored task token is dead: the next event for the participant
is recorded, finds the token refused, drops it and stays in the inbox, so a redrive (from
the waiting state) picks it up."""

from __future__ import annotations

from support.lifecycle_steps import buy, open_wave, register_started_at_registration

from prakerja.local.moto_patches.fidelity import stop_execution
from prakerja_flow.data import inbox, workflow
from prakerja_flow.data import participants as profiles
from prakerja_flow.domain import participation


def test_a_stopped_lifecycle_keeps_its_events_and_continues_after_redrive(cloud, ops):
    open_wave(cloud)
    pid = register_started_at_registration(cloud, 31)
    arn = cloud.execution_arn(pid)
    profile_before = profiles.get(pid)

    workflow.client().stop_execution(executionArn=arn, error="OperatorStop", cause="registered in the wrong wave")
    assert cloud.executions("ABORTED")[0]["executionArn"] == arn
    backend_execution = _backend_execution(arn)
    assert stop_execution.wait_ended(backend_execution, 10), "the execution's thread still waits on its token"

    buy(cloud, pid)  # answered 201 at once: recorded, not delivered
    assert inbox.get_token(pid, "PURCHASE") is None and inbox.get(pid, "PURCHASE") is not None
    assert profiles.get(pid)["status"] == profile_before["status"] == participation.ACTIVE
    code, _, _, report = ops("participant", pid, "--json")
    assert code == 1 and report["execution"]["status"] == "ABORTED"
    assert report["diagnosis"] == (
        f"lifecycle aborted at AwaitTrainingPurchase (OperatorStop: registered in the wrong wave); "
        f"fix the cause, then: prakerja ops redrive {pid}"
    )

    code, _, err, _ = ops("redrive", pid, "--actor", "on-call", "--reason", "wave confirmed", "--yes")
    assert (code, err) == (0, "")
    cloud.wait_for_token(pid, "COMPLETION")  # the purchase waiting in the inbox was delivered
    assert inbox.get(pid, "PURCHASE") is None
    code, _, _, report = ops("participant", pid, "--json")
    assert code == 0 and report["execution"]["status"] == "RUNNING" and report["current_state"] == "AwaitCompletion"


def test_draining_a_world_waits_for_stopped_executions(cloud):
    open_wave(cloud)
    pids = [register_started_at_registration(cloud, n) for n in (41, 42)]
    cloud.sfn.stop_execution(executionArn=cloud.execution_arn(pids[0]))
    cloud.drain()
    assert cloud.executions("RUNNING") == []
    assert all(stop_execution.wait_ended(_backend_execution(cloud.execution_arn(pid)), 0) for pid in pids)


def _backend_execution(arn: str):
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from prakerja.local.cloud import ACCOUNT, REGION

    return stepfunctions_parser_backends[ACCOUNT][REGION].describe_execution(arn)
