"""Redrive after a fault: the operator fixes the cause, redrives, and the participant is paid
once. The local stack implements RedriveExecution (prakerja/local/moto_patches/fidelity/redrive_execution.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from support.lifecycle_steps import (
    GRANTED,
    advance_days,
    buy,
    complete,
    nik,
    open_wave,
    paid_lines,
    payout_account,
    rate,
    register,
    register_started_at_registration,
)

from prakerja_flow import config
from prakerja_flow.data import entitlements, workflow
from prakerja_flow.services import lifecycle


def test_a_task_that_failed_on_a_fault_runs_again_after_redrive_and_pays_once(cloud, ops, monkeypatch):
    open_wave(cloud)
    pid = register(cloud, 21)
    payout_account(cloud, pid, nik(21), number="081200000021")
    real_grant = lifecycle.grant_incentives

    def ledger_down(*args, **kwargs):
        raise RuntimeError("ledger table unavailable")

    monkeypatch.setattr(lifecycle, "grant_incentives", ledger_down)
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_until(lambda: cloud.executions("FAILED"), what="GrantIncentives to fail the execution")
    code, _, _, hist = ops("history", pid, "--json")
    assert code == 1 and hist["failed_state"] == "GrantIncentives"
    assert any(line.get("error") == "RuntimeError" for line in hist["timeline"])
    assert entitlements.of(pid) == []  # nothing granted, nothing half-written
    code, _, _, report = ops("participant", pid, "--json")
    assert (
        code == 1
        and report["diagnosis"].startswith("lifecycle failed at GrantIncentives (RuntimeError: ")
        and "ledger table unavailable" in report["diagnosis"]
    )
    assert report["diagnosis"].endswith(f"fix the cause, then: prakerja ops redrive {pid}")

    monkeypatch.setattr(lifecycle, "grant_incentives", real_grant)  # the cause is fixed
    code, _, err, _ = ops("redrive", pid, "--actor", "on-call", "--reason", "ledger table back", "--yes")
    assert (code, err) == (0, "")
    cloud.wait_for_end(pid, GRANTED)
    advance_days(cloud, (config.FIRST_PAYOUT_DELAY + 3 * config.PAYOUT_INTERVAL).days + 2)

    paid = [line for line in paid_lines(cloud) if line["participant_id"] == pid]
    assert sorted(line["amount_idr"] for line in paid) == [config.POST_TRAINING_PAYOUT_IDR] * 4
    assert len({line["idempotency_key"] for line in paid}) == 4
    code, _, _, hist = ops("history", pid, "--json")
    assert hist["path"].count("GrantIncentives") == 2 and hist["path"].count("CheckRating") == 1
    code, _, _, report = ops("participant", pid, "--json")
    assert code == 0 and report["execution"]["status"] == "SUCCEEDED" and report["problems"] == []


def test_the_local_stack_refuses_to_redrive_what_aws_would_refuse(cloud):
    open_wave(cloud)
    pid = register_started_at_registration(cloud, 22)
    arn = cloud.execution_arn(pid)
    with pytest.raises(ClientError) as running:
        workflow.client().redrive_execution(executionArn=arn)
    assert running.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    with pytest.raises(ClientError) as unknown:
        workflow.client().redrive_execution(executionArn=arn + "-nobody")
    assert unknown.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
