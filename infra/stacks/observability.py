"""Alarms to an encrypted SNS topic, and the dashboard an operator opens first."""

from __future__ import annotations

from aws_cdk import (
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import (
    aws_cloudwatch as cw,
)
from aws_cdk import (
    aws_cloudwatch_actions as cw_actions,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_sns_subscriptions as subscriptions,
)
from constructs import Construct

from prakerja_flow import catalogue, config

from .. import defaults
from ..environment import DeployEnv
from .api import ApiStack
from .schedules import SchedulesStack
from .workflow import WorkflowStack

# Business metrics the payout run emits with Powertools Metrics (namespace
# catalogue.METRICS_NAMESPACE, default dimension service=catalogue.SERVICE_NAME).
PAYOUT_METRICS = tuple(catalogue.PAYOUT_OUTCOME_METRICS.values())
PAYOUT_AMOUNT_METRIC = catalogue.PAYOUT_AMOUNT_METRIC
RECONCILIATION_MISMATCH_METRIC = catalogue.RECONCILIATION_MISMATCH_METRIC
PAYOUT_RUN_STOPPED_EARLY_METRIC = catalogue.PAYOUT_RUN_STOPPED_EARLY_METRIC
PAYOUT_MISCONFIGURED_METRIC = catalogue.PAYOUT_MISCONFIGURED_METRIC
PAYOUT_SHARDS_FAILED_METRIC = catalogue.PAYOUT_SHARDS_FAILED_METRIC


def business_metric(name: str, period: Duration, labelled: bool = True) -> cw.Metric:
    """A Powertools business metric (namespace and `service` dimension from the catalogue).
    Alarms take it unlabelled: a label makes CDK render the alarm in the metric-math form."""
    return cw.Metric(
        namespace=catalogue.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": catalogue.SERVICE_NAME},
        statistic="Sum",
        period=period,
        label=name if labelled else None,
    )


class ObservabilityStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deploy_env: DeployEnv,
        workflow: WorkflowStack,
        api: ApiStack,
        schedules: SchedulesStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.deploy_env = deploy_env
        self.period = Duration.seconds(int(defaults.ALARM_PERIOD.total_seconds()))

        key = kms.Key(
            self,
            "AlarmTopicKey",
            alias=f"alias/{deploy_env.prefixed(catalogue.SERVICE_NAME)}-alarms",
            description=f"Prakerja Flow ({deploy_env.name}): alarm notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch publishes alarm notifications to the encrypted topic with these.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsUseKey",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-alarms"),
            display_name=f"Prakerja Flow {deploy_env.name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        if deploy_env.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(deploy_env.alarm_email))

        self.alarms: list[cw.Alarm] = []
        sm = workflow.state_machine
        self._alarm(
            "ExecutionsFailed", sm.metric_failed(period=self.period), 1, "A participant lifecycle execution failed"
        )
        self._alarm(
            "ExecutionsTimedOut",
            sm.metric_timed_out(period=self.period),
            1,
            f"A participant lifecycle execution hit the {config.LIFECYCLE_TIMEOUT.days}-day safety-net timeout",
        )
        self._alarm(
            "ExecutionsThrottled",
            sm.metric_throttled(period=self.period),
            1,
            "StartExecution or state transitions are throttled: check the Step Functions quotas (docs/deploy.md)",
        )
        run = workflow.payout_run
        self._alarm(
            "PayoutRunFailed",
            run.metric_failed(period=self.period),
            1,
            "A payout-run execution failed or was stopped: its shards' payouts stay queued for the next run "
            "(nothing is paid twice); see the execution in the Step Functions console and docs/operations.md",
        )
        self._alarm(
            "PayoutRunTimedOut",
            run.metric_timed_out(period=self.period),
            1,
            f"A payout-run execution ran past {config.PAYOUT_RUN_TIMEOUT}: the backlog is larger than one run; "
            "see docs/capacity.md",
        )
        shards_failed = business_metric(PAYOUT_SHARDS_FAILED_METRIC, self.period, labelled=False)
        self._alarm(
            "PayoutShardsFailed",
            shards_failed,
            0,
            "A child of the payout run failed (its Map caught it): that shard's payouts wait for the next run; "
            "the error is in the execution's history (prakerja ops payouts runs)",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cw.TreatMissingData.IGNORE,
        )
        for spec in catalogue.FUNCTIONS:
            fn = workflow.functions[spec.key]
            self._alarm(f"{spec.key}-Errors", fn.metric_errors(period=self.period), 1, f"{spec.key} raised errors")
            self._alarm(
                f"{spec.key}-Throttles",
                fn.metric_throttles(period=self.period),
                1,
                f"{spec.key} was throttled: check Lambda concurrency (docs/deploy.md)",
            )
        dlq_depth = schedules.dlq.metric_approximate_number_of_messages_visible(period=self.period, statistic="Maximum")
        self._alarm(
            "JobsDeadLetters", dlq_depth, 1, "A scheduled job run failed or could not be delivered: see the jobs DLQ"
        )
        api_5xx = api.api.metric_server_error(period=self.period, statistic="Sum")
        self._alarm("Api5xx", api_5xx, defaults.API_5XX_ALARM_THRESHOLD, "The API answered with 5XX errors")
        # The reconcile job emits one datapoint per run (once a day). Missing data is
        # ignored, so the alarm stays in ALARM until a later run reports 0 mismatches,
        # instead of silently returning to OK after one empty period.
        mismatches = business_metric(RECONCILIATION_MISMATCH_METRIC, self.period, labelled=False)
        self._alarm(
            "ReconciliationMismatches",
            mismatches,
            0,
            "The reconciliation job found differences between the payment provider's statement and our "
            "ledger (double payment, payment we did not book, or booked payment the provider lacks): "
            "see the reconcile function's log and docs/operations.md",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cw.TreatMissingData.IGNORE,
        )

        # One datapoint per payout run: 1 when it stopped before its timeout with payouts
        # still queued. Held like the reconciliation alarm: a backlog is over when a run
        # finishes its queue, not when a period passes without a run.
        stopped_early = business_metric(PAYOUT_RUN_STOPPED_EARLY_METRIC, self.period, labelled=False)
        self._alarm(
            "PayoutBacklog",
            stopped_early,
            0,
            "A payout run stopped before its Lambda timeout with payouts still queued: the rest is paid "
            "by the next run (nothing is lost or paid twice), but a day late; see docs/capacity.md, limit 1",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cw.TreatMissingData.IGNORE,
        )

        # Payouts held because the provider's answers say our configuration is wrong (a route
        # it does not know, refused credentials): nobody is paid until someone fixes it.
        misconfigured = business_metric(PAYOUT_MISCONFIGURED_METRIC, self.period, labelled=False)
        self._alarm(
            "PaymentProviderMisconfigured",
            misconfigured,
            0,
            "The payout run held payouts because the payment provider's answers say our configuration is wrong "
            "(an unknown route: check paymentProviderUrl, the API's root without /v1; or refused credentials: "
            "check the payment provider secret). No participant's account is blamed; see the payout-run log",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cw.TreatMissingData.IGNORE,
        )

        self.dashboard = self._dashboard(workflow, api, schedules, dlq_depth, api_5xx)
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard_name)

    def _alarm(
        self,
        construct_id: str,
        metric: cw.IMetric,
        threshold: float,
        description: str,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            alarm_name=self.deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-{construct_id}"),
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator=comparison,
            treat_missing_data=missing,
        )
        action = cw_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm

    def _dashboard(
        self,
        workflow: WorkflowStack,
        api: ApiStack,
        schedules: SchedulesStack,
        dlq_depth: cw.IMetric,
        api_5xx: cw.IMetric,
    ) -> cw.Dashboard:
        sm = workflow.state_machine
        hour = Duration.hours(1)
        day = Duration.days(1)

        def business(name: str) -> cw.Metric:
            return business_metric(name, day)

        fns = [(spec.key, workflow.functions[spec.key]) for spec in catalogue.FUNCTIONS]
        dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.deploy_env.prefixed(catalogue.SERVICE_NAME),
            default_interval=Duration.days(7),
        )
        dashboard.add_widgets(
            cw.TextWidget(
                markdown=(
                    f"# Prakerja Flow: {self.deploy_env.name}\n"
                    f"Lifecycle state machine `{workflow.state_machine_name}`; alarms go to the SNS topic "
                    f"`{self.deploy_env.prefixed(catalogue.SERVICE_NAME + '-alarms')}`. Runbook: docs/deploy.md."
                ),
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=4))
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Lifecycle executions (per hour)",
                left=[
                    sm.metric_started(period=hour, label="Started"),
                    sm.metric_succeeded(period=hour, label="Succeeded"),
                    sm.metric_failed(period=hour, label="Failed"),
                    sm.metric_timed_out(period=hour, label="TimedOut"),
                    sm.metric_aborted(period=hour, label="Aborted"),
                    sm.metric_throttled(period=hour, label="Throttled"),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Payouts (per day): transfers by outcome, rupiah paid",
                left=[business(name) for name in PAYOUT_METRICS],
                right=[business(PAYOUT_AMOUNT_METRIC)],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Reconciliation mismatches (per day): must stay 0",
                left=[business(RECONCILIATION_MISMATCH_METRIC)],
                left_annotations=[cw.HorizontalAnnotation(value=0, label="expected", color=cw.Color.GREEN)],
                width=12,
            ),
            cw.SingleValueWidget(
                title="Reconciliation mismatches, last run",
                metrics=[business(RECONCILIATION_MISMATCH_METRIC)],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="API requests and errors",
                left=[
                    api.api.metric_count(period=self.period, statistic="Sum", label="Requests"),
                    api.api.metric_client_error(period=self.period, statistic="Sum", label="4XX"),
                    api_5xx,
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="API latency",
                left=[
                    api.api.metric_latency(period=self.period, statistic="p50", label="p50"),
                    api.api.metric_latency(period=self.period, statistic="p99", label="p99"),
                    api.api.metric_integration_latency(period=self.period, statistic="p99", label="integration p99"),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Lambda errors",
                left=[fn.metric_errors(period=self.period, label=key) for key, fn in fns],
                width=8,
            ),
            cw.GraphWidget(
                title="Lambda throttles",
                left=[fn.metric_throttles(period=self.period, label=key) for key, fn in fns],
                width=8,
            ),
            cw.GraphWidget(title="Jobs dead-letter queue", left=[dlq_depth], width=8),
        )
        return dashboard
