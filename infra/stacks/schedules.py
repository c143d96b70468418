"""EventBridge Scheduler schedules for every catalogue job with a `schedule` (functions it
invokes, state machines it starts: the payout run), and where their failures go.

Scheduler invokes Lambda asynchronously, so there are two kinds of failure, and both
land in one encrypted dead-letter queue (alarmed by the observability stack):
- Scheduler could not hand the event to its target (after its retry policy): the schedule's DLQ;
- a job function itself failed (after Lambda's asynchronous retries): the function's on-failure
  destination, configured here too so that everything about triggering jobs is in one place.
A job state machine's failed execution is alarmed on the state machine's metrics instead.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from prakerja_flow import catalogue

from .. import defaults
from ..environment import DeployEnv
from ..nag import acknowledge
from .workflow import WorkflowStack

SCHEDULE_INPUT = {catalogue.SCHEDULED_TIME_FIELD: "<aws.scheduler.scheduled-time>"}


rate_expression = catalogue.rate_expression  # one definition for CDK and the local runtime


class SchedulesStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, deploy_env: DeployEnv, workflow: WorkflowStack, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.deploy_env = deploy_env
        jobs = workflow.jobs()

        self.dlq = sqs.Queue(
            self,
            "JobsDeadLetterQueue",
            queue_name=deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-jobs-dlq"),
            # Messages hold the schedule input and the error only (no participant data), so
            # SQS-managed encryption is enough and needs no KMS grants for the senders.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.seconds(int(defaults.DLQ_RETENTION.total_seconds())),
        )
        acknowledge(
            self.dlq,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the scheduled jobs; an operator "
            "inspects and redrives its messages by hand.",
        )

        self.group = scheduler.CfnScheduleGroup(self, "Group", name=deploy_env.prefixed(catalogue.SERVICE_NAME))

        self.role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
            ),
            description="EventBridge Scheduler: invoke the scheduled job functions, dead-letter to the jobs DLQ",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(sid="DeadLetter", actions=["sqs:SendMessage"], resources=[self.dlq.queue_arn])
        )
        invoked = [job.arn for job in jobs if job.function is not None]
        started = [job.arn for job in jobs if job.function is None]
        if invoked:
            self.role.add_to_policy(
                iam.PolicyStatement(sid="InvokeJobs", actions=["lambda:InvokeFunction"], resources=invoked)
            )
        if started:
            self.role.add_to_policy(
                iam.PolicyStatement(sid="StartJobExecutions", actions=["states:StartExecution"], resources=started)
            )

        self.schedules: dict[str, scheduler.CfnSchedule] = {}
        for job in jobs:
            spec = job.spec
            assert spec.schedule is not None
            schedule = scheduler.CfnSchedule(
                self,
                f"{spec.key}-schedule",
                name=spec.schedule.name,
                group_name=self.group.ref,
                description=spec.schedule.description,
                schedule_expression=rate_expression(spec.schedule.every),
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                state="ENABLED",
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=job.arn,
                    role_arn=self.role.role_arn,
                    input=json.dumps(SCHEDULE_INPUT),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=defaults.SCHEDULE_RETRY_ATTEMPTS,
                        maximum_event_age_in_seconds=int(defaults.SCHEDULE_MAX_EVENT_AGE.total_seconds()),
                    ),
                    dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=self.dlq.queue_arn),
                ),
            )
            schedule.node.add_dependency(self.role)
            self.schedules[spec.key] = schedule
            if job.function is None or job.role is None:
                # A state machine: a failed execution is alarmed (observability stack); there
                # is no asynchronous invocation to send anywhere.
                continue

            # A failed run of the job: Lambda retries it, then sends the event to the DLQ
            # with the function's own role (granted here, next to the queue).
            send = iam.Policy(
                self,
                f"{spec.key}-dlq-policy",
                roles=[job.role],
                statements=[
                    iam.PolicyStatement(
                        sid="OnFailureDestination", actions=["sqs:SendMessage"], resources=[self.dlq.queue_arn]
                    )
                ],
            )
            invoke_config = lambda_.CfnEventInvokeConfig(
                self,
                f"{spec.key}-async",
                function_name=job.function.function_name,
                qualifier="$LATEST",
                maximum_retry_attempts=defaults.JOB_ASYNC_RETRY_ATTEMPTS,
                maximum_event_age_in_seconds=int(defaults.JOB_ASYNC_MAX_EVENT_AGE.total_seconds()),
                destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                    on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=self.dlq.queue_arn)
                ),
            )
            invoke_config.node.add_dependency(send)
