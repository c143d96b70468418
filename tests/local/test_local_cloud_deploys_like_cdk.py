"""LocalCloud in-process: the scheduled jobs exist as Scheduler schedules (and the local
scheduler still drives the jobs), TTL is on where schema.py says."""

from __future__ import annotations

import json

import boto3
import pytest

from prakerja.local import invoker, schedules
from prakerja.local.cloud import REGION, LocalCloud
from prakerja_flow import catalogue
from prakerja_flow.data import schema


@pytest.fixture(scope="module")
def cloud():
    with LocalCloud() as local:
        yield local


def test_schedules_in_process(cloud):
    scheduler = boto3.client("scheduler", region_name=REGION)
    listed = scheduler.list_schedules(GroupName=schedules.GROUP)["Schedules"]
    scheduled = {spec.schedule.name: spec for spec in catalogue.scheduled_jobs() if spec.schedule}
    assert sorted(s["Name"] for s in listed) == sorted(scheduled) == ["deadline-sweep", "payout-run", "reconcile"]
    for name, spec in scheduled.items():
        target = scheduler.get_schedule(GroupName=schedules.GROUP, Name=name)["Target"]
        assert target["Arn"] == cloud.job_arn(spec.key)
        assert (":stateMachine:" in target["Arn"]) == (spec.key == "payout-run")
        assert json.loads(target["Input"]) == schedules.SCHEDULE_INPUT


def test_the_local_scheduler_still_drives_every_scheduled_job(cloud, monkeypatch):
    """As `local up` does (every payout run recorded): an empty day's payout run plans and
    sums up, and starts no shard's child."""
    monkeypatch.setattr(cloud, "record_idle_payout_runs", True)
    before = dict(invoker.invocation_counts)
    ran = cloud.run_scheduled()
    assert sorted(ran) == sorted(spec.key for spec in catalogue.scheduled_jobs())
    steps = {spec.key for spec in catalogue.functions_of(catalogue.PAYOUT_RUN)} - {"pay-shard"}
    for spec in catalogue.FUNCTIONS:
        expected = 1 if spec.schedule or spec.key in steps else 0
        assert invoker.invocation_counts.get(spec.function_name, 0) - before.get(spec.function_name, 0) == expected
    assert ran["payout-run"]["shards"] == [] and ran["payout-run"]["run"] == cloud.last_execution["payout-run"]


def test_an_idle_payout_run_is_answered_in_process_with_the_same_report(cloud, monkeypatch):
    """The embedded default (tests, simulate): a day with no due work and no pause gives the
    report the execution would give, from the same plan and summary code, without starting
    one; PRAKERJA_MOTO_SPEED_PATCHES=0 (or record_idle_payout_runs) starts it."""
    monkeypatch.setattr(cloud, "record_idle_payout_runs", True)
    recorded = cloud.run_job("payout-run")
    monkeypatch.setattr(cloud, "record_idle_payout_runs", False)
    executions = len(cloud.sfn.list_executions(stateMachineArn=cloud.job_arn("payout-run"))["executions"])
    before = dict(invoker.invocation_counts)
    answered = cloud.run_job("payout-run")
    assert {**answered, "run": None} == {**recorded, "run": None} and answered["run"] is None
    assert len(cloud.sfn.list_executions(stateMachineArn=cloud.job_arn("payout-run"))["executions"]) == executions
    assert invoker.invocation_counts == before


def test_ttl_in_process(cloud):
    ddb = boto3.client("dynamodb", region_name=REGION)
    enabled = {}
    for table in ddb.list_tables()["TableNames"]:
        description = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if description["TimeToLiveStatus"] == "ENABLED":
            enabled[table] = description["AttributeName"]
    assert enabled == schema.time_to_live(cloud.table_name) == {f"{cloud.table_name}-idempotency": "expiration"}
