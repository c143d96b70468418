"""SchedulesStack: one EventBridge Scheduler schedule per scheduled catalogue job (function
or state machine), with retries and a dead-letter queue; failed job function runs land in
the same queue, a failed payout-run execution is alarmed (test_infra_observability)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.infra_testlib import TEST_ENV, as_list, getatt_arn, imported, lid, one, ref, resources

from infra import defaults
from infra.stacks.schedules import SCHEDULE_INPUT, rate_expression
from prakerja_flow import catalogue

SCHEDULED = list(catalogue.scheduled_jobs())
FUNCTION_JOBS = [spec for spec in SCHEDULED if isinstance(spec, catalogue.FunctionSpec)]
MACHINE_JOBS = [spec for spec in SCHEDULED if isinstance(spec, catalogue.StateMachineSpec)]


def _target_arn(synth, spec) -> dict:
    workflow = synth.system.workflow
    if isinstance(spec, catalogue.StateMachineSpec):
        return imported(synth.raw(workflow), ref(workflow.state_machines[spec.key]))
    return imported(synth.raw(workflow), getatt_arn(workflow.functions[spec.key]))


@pytest.fixture(scope="module")
def schedules(synth):
    return synth.system.schedules


@pytest.fixture(scope="module")
def template(synth, schedules) -> dict:
    return synth.raw(schedules)


def test_catalogue_has_scheduled_jobs():
    assert FUNCTION_JOBS and MACHINE_JOBS, "nothing to schedule: the tests below would prove nothing"
    assert [m.key for m in MACHINE_JOBS] == ["payout-run"]


def test_one_schedule_per_scheduled_job(template):
    names = sorted(s["Properties"]["Name"] for s in resources(template, "AWS::Scheduler::Schedule").values())
    assert names == sorted(spec.schedule.name for spec in SCHEDULED)


@pytest.mark.parametrize("spec", SCHEDULED, ids=lambda s: s.key)
def test_schedule(synth, template, schedules, spec):
    props = template["Resources"][lid(schedules.schedules[spec.key])]["Properties"]
    assert props["ScheduleExpression"] == rate_expression(spec.schedule.every)
    assert props["Description"] == spec.schedule.description
    assert props["State"] == "ENABLED"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["GroupName"] == ref(schedules.group)
    target = props["Target"]
    assert target["Arn"] == _target_arn(synth, spec)
    assert json.loads(target["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"} == SCHEDULE_INPUT
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": defaults.SCHEDULE_RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": int(defaults.SCHEDULE_MAX_EVENT_AGE.total_seconds()),
    }
    assert target["DeadLetterConfig"] == {"Arn": getatt_arn(schedules.dlq)}
    assert target["RoleArn"] == getatt_arn(schedules.role)


def test_schedule_group_is_per_environment(template):
    (_, group) = one(template, "AWS::Scheduler::ScheduleGroup")
    assert group["Properties"]["Name"] == f"{TEST_ENV}-{catalogue.SERVICE_NAME}"


def test_dead_letter_queue_is_encrypted_and_ssl_only(template, schedules):
    queue = template["Resources"][lid(schedules.dlq)]["Properties"]
    assert queue.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue
    (_, policy) = one(template, "AWS::SQS::QueuePolicy")
    deny = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in deny)


def test_scheduler_role_can_only_invoke_the_jobs_and_dead_letter(synth, template, schedules):
    workflow = synth.system.workflow
    role = template["Resources"][lid(schedules.role)]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    statements = [
        s
        for p in resources(template, "AWS::IAM::Policy").values()
        if ref(schedules.role) in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    granted = {a: as_list(s["Resource"]) for s in statements for a in as_list(s["Action"])}
    assert set(granted) == {"lambda:InvokeFunction", "states:StartExecution", "sqs:SendMessage"}
    assert granted["sqs:SendMessage"] == [getatt_arn(schedules.dlq)]
    expected = [imported(synth.raw(workflow), getatt_arn(workflow.functions[s.key])) for s in FUNCTION_JOBS]
    assert sorted(map(json.dumps, granted["lambda:InvokeFunction"])) == sorted(map(json.dumps, expected))
    started = [imported(synth.raw(workflow), ref(workflow.state_machines[s.key])) for s in MACHINE_JOBS]
    assert sorted(map(json.dumps, granted["states:StartExecution"])) == sorted(map(json.dumps, started))


@pytest.mark.parametrize("spec", FUNCTION_JOBS, ids=lambda s: s.key)
def test_failed_job_runs_go_to_the_dead_letter_queue(synth, template, schedules, spec):
    workflow = synth.system.workflow
    configs = [
        c["Properties"]
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == imported(synth.raw(workflow), ref(workflow.functions[spec.key]))
    ]
    assert len(configs) == 1
    config = configs[0]
    assert config["Qualifier"] == "$LATEST"
    assert config["MaximumRetryAttempts"] == defaults.JOB_ASYNC_RETRY_ATTEMPTS
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": getatt_arn(schedules.dlq)}}


@pytest.mark.parametrize(
    ("every", "expression"),
    [
        (timedelta(days=1), "rate(1 day)"),
        (timedelta(days=7), "rate(7 days)"),
        (timedelta(hours=6), "rate(6 hours)"),
        (timedelta(minutes=1), "rate(1 minute)"),
        (timedelta(minutes=90), "rate(90 minutes)"),
    ],
)
def test_rate_expression(every, expression):
    assert rate_expression(every) == expression


@pytest.mark.parametrize("every", [timedelta(seconds=30), timedelta(seconds=90), timedelta(0)])
def test_rate_expression_rejects_what_scheduler_cannot_do(every):
    with pytest.raises(ValueError):
        rate_expression(every)


@pytest.mark.parametrize("key", ["payout-run", "deadline-sweep", "reconcile"])
def test_issue_jobs_are_scheduled_with_retries_and_dead_letters(template, schedules, key):
    """The jobs issues 4 and 5 name (the reconciliation job among them) each have a
    schedule, a retry policy and the jobs DLQ; a failed function run also lands in the DLQ."""
    spec = next(job for job in SCHEDULED if job.key == key)
    assert spec.schedule is not None
    target = template["Resources"][lid(schedules.schedules[key])]["Properties"]["Target"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == defaults.SCHEDULE_RETRY_ATTEMPTS > 0
    assert target["DeadLetterConfig"] == {"Arn": getatt_arn(schedules.dlq)}
    assert spec in SCHEDULED  # so test_failed_job_runs_go_to_the_dead_letter_queue covers it too
