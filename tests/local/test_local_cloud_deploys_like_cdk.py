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


def test_the_local_scheduler_still_drives_every_scheduled_job(cloud):
    before = dict(invoker.invocation_counts)
    ran = cloud.run_scheduled()
    assert sorted(ran) == sorted(spec.key for spec in catalogue.scheduled_jobs())
    # An empty day: the payout run plans and sums up, and starts no shard's child.
    steps = {spec.key for spec in catalogue.functions_of(catalogue.PAYOUT_RUN)} - {"pay-shard"}
    for spec in catalogue.FUNCTIONS:
        expected = 1 if spec.schedule or spec.key in steps else 0
        assert invoker.invocation_counts.get(spec.function_name, 0) - before.get(spec.function_name, 0) == expected
    assert ran["payout-run"]["shards"] == [] and ran["payout-run"]["run"] == cloud.last_execution["payout-run"]


def test_ttl_in_process(cloud):
    ddb = boto3.client("dynamodb", region_name=REGION)
    enabled = {}
    for table in ddb.list_tables()["TableNames"]:
        description = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if description["TimeToLiveStatus"] == "ENABLED":
            enabled[table] = description["AttributeName"]
    assert enabled == schema.time_to_live(cloud.table_name) == {f"{cloud.table_name}-idempotency": "expiration"}
