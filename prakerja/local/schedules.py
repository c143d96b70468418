"""The scheduled jobs as EventBridge Scheduler schedules, as the CDK app deploys them
(infra/stacks/schedules.py), built from the same catalogue.

moto stores schedules and never fires them: `LocalCloud.run_scheduled` keeps driving the
jobs on the simulated clock. These make them visible where operators look, with the
deployed names, rate expressions, targets and input (`aws scheduler list-schedules`,
`aws scheduler get-schedule --group-name prakerja-flow --name payout-run`). Locally nothing
carries an environment prefix (the table is `prakerja-flow`, not `dev-prakerja-flow`), so
the group is the service name. tests/infra/test_infra_local_parity.py compares these with
the synthesized template."""

from __future__ import annotations

import json

from infra import defaults
from prakerja_flow import catalogue

GROUP = catalogue.SERVICE_NAME
DEAD_LETTER_QUEUE = f"{catalogue.SERVICE_NAME}-jobs-dlq"
SCHEDULER_ROLE = f"{catalogue.SERVICE_NAME}-scheduler"
# What EventBridge Scheduler hands each job; it fills in the placeholder at every run.
SCHEDULE_INPUT = {catalogue.SCHEDULED_TIME_FIELD: "<aws.scheduler.scheduled-time>"}

rate_expression = catalogue.rate_expression  # one definition for CDK and the local runtime


def definitions(target_arns: dict[str, str], role_arn: str, dead_letter_arn: str) -> list[dict]:
    """CreateSchedule arguments of every catalogue job (function or state machine) with a
    schedule; `target_arns` maps a job's key to its function's or state machine's ARN."""
    return [
        {
            "Name": spec.schedule.name,
            "GroupName": GROUP,
            "Description": spec.schedule.description,
            "ScheduleExpression": rate_expression(spec.schedule.every),
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": target_arns[spec.key],
                "RoleArn": role_arn,
                "Input": json.dumps(SCHEDULE_INPUT),
                "RetryPolicy": {
                    "MaximumRetryAttempts": defaults.SCHEDULE_RETRY_ATTEMPTS,
                    "MaximumEventAgeInSeconds": int(defaults.SCHEDULE_MAX_EVENT_AGE.total_seconds()),
                },
                "DeadLetterConfig": {"Arn": dead_letter_arn},
            },
        }
        for spec in catalogue.scheduled_jobs()
        if spec.schedule is not None
    ]


def deploy(session_client, target_arns: dict[str, str]) -> list[str]:
    """Creates the scheduler's role, the jobs' dead-letter queue, the group and the
    schedules; returns the schedule names. `session_client(service)` makes a boto3 client."""
    iam, sqs, scheduler = session_client("iam"), session_client("sqs"), session_client("scheduler")
    role_arn = iam.create_role(
        RoleName=SCHEDULER_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    queue_url = sqs.create_queue(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    scheduler.create_schedule_group(Name=GROUP)
    created = definitions(target_arns, role_arn, dead_letter_arn)
    for definition in created:
        scheduler.create_schedule(**definition)
    return [d["Name"] for d in created]
