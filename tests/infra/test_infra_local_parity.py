"""The local runtime deploys what the CDK app deploys: the same EventBridge Scheduler
schedules (names, rate expressions, descriptions, input, retries, target function or
state machine) and
TTL on the same tables and attributes. Both come from the catalogue and schema.py; these
compare the synthesized template with what `LocalCloud` created in moto."""

from __future__ import annotations

import json

import boto3
import pytest
from support.infra_testlib import TEST_ENV, getatt_arn, imported, ref, resources

from infra.stacks.schedules import rate_expression as cdk_rate_expression
from prakerja.local import schedules
from prakerja.local.cloud import REGION, LocalCloud
from prakerja_flow import catalogue
from prakerja_flow.data import schema


@pytest.fixture(scope="module")
def local():
    with LocalCloud() as cloud:
        scheduler = boto3.client("scheduler", region_name=REGION)
        found = {
            s["Name"]: scheduler.get_schedule(GroupName=s["GroupName"], Name=s["Name"])
            for s in scheduler.list_schedules()["Schedules"]
        }
        ddb = boto3.client("dynamodb", region_name=REGION)
        ttl = {
            t: ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"] for t in ddb.list_tables()["TableNames"]
        }
        yield cloud, found, ttl


def _job_key(synth, arn_value) -> str:
    """The catalogue job (function or state machine) a deployed schedule targets."""
    workflow = synth.system.workflow
    raw = synth.raw(workflow)
    for spec in catalogue.scheduled_jobs():
        if isinstance(spec, catalogue.StateMachineSpec):
            produced = ref(workflow.state_machines[spec.key])
        else:
            produced = getatt_arn(workflow.functions[spec.key])
        if arn_value == imported(raw, produced):
            return spec.key
    raise AssertionError(f"no catalogue job behind {arn_value}")


def test_schedules_are_the_deployed_ones(synth, local):
    cloud, found, _ = local
    deployed = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources(synth.raw(synth.system.schedules), "AWS::Scheduler::Schedule").values()
    }
    assert sorted(found) == sorted(deployed) and deployed
    for name, cdk in deployed.items():
        mine = found[name]
        assert mine["ScheduleExpression"] == cdk["ScheduleExpression"]
        assert (mine["Description"], mine["State"], mine["FlexibleTimeWindow"]) == (
            cdk["Description"],
            cdk["State"],
            cdk["FlexibleTimeWindow"],
        )
        assert mine["Target"]["Input"] == cdk["Target"]["Input"]
        assert mine["Target"]["RetryPolicy"] == cdk["Target"]["RetryPolicy"]
        key = _job_key(synth, cdk["Target"]["Arn"])
        assert mine["Target"]["Arn"] == cloud.job_arn(key)
        assert "DeadLetterConfig" in cdk["Target"] and "DeadLetterConfig" in mine["Target"]


def test_rate_expressions_follow_the_cdk_rule():
    from datetime import timedelta

    everies = [
        timedelta(minutes=1),
        timedelta(minutes=90),
        timedelta(hours=2),
        timedelta(days=1),
        timedelta(days=3),
        timedelta(hours=25),
    ] + [s.schedule.every for s in catalogue.scheduled_jobs() if s.schedule]
    assert [schedules.rate_expression(e) for e in everies] == [cdk_rate_expression(e) for e in everies]
    for bad in (timedelta(seconds=30), timedelta(seconds=90)):
        with pytest.raises(ValueError):
            cdk_rate_expression(bad)
        with pytest.raises(ValueError):
            schedules.rate_expression(bad)
    assert json.loads(json.dumps(schedules.SCHEDULE_INPUT)) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}


def test_ttl_is_on_where_cdk_turns_it_on(synth, local):
    _, _, ttl = local
    deployed = {
        r["Properties"]["TableName"]: r["Properties"].get("TimeToLiveSpecification")
        for r in resources(synth.raw(synth.system.data), "AWS::DynamoDB::Table").values()
    }
    prefix = f"{TEST_ENV}-"
    cdk_ttl = {
        name.removeprefix(prefix): spec["AttributeName"] for name, spec in deployed.items() if spec and spec["Enabled"]
    }
    local_ttl = {name: d["AttributeName"] for name, d in ttl.items() if d["TimeToLiveStatus"] == "ENABLED"}
    assert cdk_ttl == local_ttl == schema.time_to_live(catalogue.TABLE_NAME)
    assert schema.time_to_live(f"{prefix}{catalogue.TABLE_NAME}") == {
        name: spec["AttributeName"] for name, spec in deployed.items() if spec
    }
    assert set(ttl) == {name.removeprefix(prefix) for name in deployed}  # and no other table
