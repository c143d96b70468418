"""ObservabilityStack: alarms to an encrypted topic, and the operator's dashboard."""

from __future__ import annotations

import json

import pytest
from support.infra_testlib import TEST_ENV, imported, lid, one, ref, resources

from infra import defaults
from infra.stacks.observability import PAYOUT_AMOUNT_METRIC, PAYOUT_METRICS, RECONCILIATION_MISMATCH_METRIC
from prakerja_flow import catalogue


@pytest.fixture(scope="module")
def observability(synth):
    return synth.system.observability


@pytest.fixture(scope="module")
def template(synth, observability) -> dict:
    return synth.raw(observability)


@pytest.fixture(scope="module")
def alarms(template) -> dict[str, dict]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }


def _name(suffix: str) -> str:
    return f"{TEST_ENV}-{catalogue.SERVICE_NAME}-{suffix}"


def _dimension_values(alarm) -> list:
    return [d["Value"] for d in alarm.get("Dimensions", [])]


def test_every_alarm_notifies_the_topic(alarms, observability):
    assert alarms
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [ref(observability.topic)]
        assert alarm["OKActions"] == [ref(observability.topic)]
        # Only the once-a-day job alarms keep their state between runs (see below).
        held = (
            _name("ReconciliationMismatches"),
            _name("PayoutBacklog"),
            _name("PaymentProviderMisconfigured"),
            _name("PayoutShardsFailed"),
        )
        expected_missing = "ignore" if alarm["AlarmName"] in held else "notBreaching"
        assert alarm["TreatMissingData"] == expected_missing


@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled"])
def test_state_machine_alarms(synth, alarms, metric):
    workflow = synth.system.workflow
    name = {"ExecutionThrottled": "ExecutionsThrottled"}.get(metric, metric)
    alarm = alarms[_name(name)]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", metric)
    assert _dimension_values(alarm) == [imported(synth.raw(workflow), ref(workflow.state_machine))]
    assert alarm["Threshold"] == 1


@pytest.mark.parametrize(
    ("name", "metric"), [("PayoutRunFailed", "ExecutionsFailed"), ("PayoutRunTimedOut", "ExecutionsTimedOut")]
)
def test_payout_run_alarms(synth, alarms, name, metric):
    workflow = synth.system.workflow
    alarm = alarms[_name(name)]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", metric)
    assert _dimension_values(alarm) == [imported(synth.raw(workflow), ref(workflow.payout_run))]
    assert alarm["Threshold"] == 1


def test_a_failed_shard_of_the_payout_run_is_alarmed(alarms):
    alarm = alarms[_name("PayoutShardsFailed")]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        catalogue.METRICS_NAMESPACE,
        catalogue.PAYOUT_SHARDS_FAILED_METRIC,
    )
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


@pytest.mark.parametrize("spec", catalogue.FUNCTIONS, ids=lambda s: s.key)
def test_lambda_alarms(synth, alarms, spec):
    workflow = synth.system.workflow
    function = imported(synth.raw(workflow), ref(workflow.functions[spec.key]))
    for metric in ("Errors", "Throttles"):
        alarm = alarms[_name(f"{spec.key}-{metric}")]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
        assert _dimension_values(alarm) == [function]


def test_dead_letter_queue_alarm(synth, alarms):
    schedules = synth.system.schedules
    alarm = alarms[_name("JobsDeadLetters")]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert _dimension_values(alarm) == [
        imported(synth.raw(schedules), {"Fn::GetAtt": [lid(schedules.dlq), "QueueName"]})
    ]


def test_api_5xx_alarm(alarms):
    alarm = alarms[_name("Api5xx")]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert alarm["Threshold"] == defaults.API_5XX_ALARM_THRESHOLD


def test_topic_is_encrypted_ssl_only_and_cloudwatch_can_use_it(template, observability):
    topic = template["Resources"][lid(observability.topic)]["Properties"]
    assert "KmsMasterKeyId" in topic
    (_, key) = one(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    key_statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in key_statements)
    (_, policy) = one(template, "AWS::SNS::TopicPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    assert any(
        s["Effect"] == "Allow" and s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in statements
    )


def test_dashboard_shows_what_an_operator_needs(template):
    (_, dashboard) = one(template, "AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == f"{TEST_ENV}-{catalogue.SERVICE_NAME}"
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in (
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        catalogue.METRICS_NAMESPACE,
        *PAYOUT_METRICS,
        PAYOUT_AMOUNT_METRIC,
        "5XXError",
        "Latency",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "Throttles",
        RECONCILIATION_MISMATCH_METRIC,
    ):
        assert needle in body, needle


def test_payout_metric_names_come_from_the_catalogue():
    assert set(PAYOUT_METRICS) == set(catalogue.PAYOUT_OUTCOME_METRICS.values())
    assert PAYOUT_AMOUNT_METRIC == catalogue.PAYOUT_AMOUNT_METRIC


def test_reconciliation_mismatch_alarm(alarms, observability):
    """Any mismatch between the provider's statement and the ledger (issue 4) pages the
    topic, and the alarm holds until a later reconciliation run reports 0."""
    alarm = alarms[_name("ReconciliationMismatches")]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        catalogue.METRICS_NAMESPACE,
        catalogue.RECONCILIATION_MISMATCH_METRIC,
    )
    assert alarm["Dimensions"] == [
        {"Name": "service", "Value": catalogue.SERVICE_NAME}
    ]  # Powertools' default dimension
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Statistic"]) == ("GreaterThanThreshold", 0, "Sum")
    assert alarm["TreatMissingData"] == "ignore"
    assert alarm["AlarmActions"] == [ref(observability.topic)]
    assert RECONCILIATION_MISMATCH_METRIC == catalogue.RECONCILIATION_MISMATCH_METRIC == "ReconciliationMismatches"


def test_dashboard_has_a_reconciliation_widget(template):
    (_, dashboard) = one(template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "Reconciliation mismatches" in body
    assert body.count(catalogue.RECONCILIATION_MISMATCH_METRIC) >= 2  # a graph and the last run's value


def test_payout_backlog_alarm(alarms, observability):
    """A payout run that ran out of time (it stops before its Lambda timeout and leaves the
    rest queued) pages the topic until a run finishes its queue."""
    alarm = alarms[_name("PayoutBacklog")]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        catalogue.METRICS_NAMESPACE,
        catalogue.PAYOUT_RUN_STOPPED_EARLY_METRIC,
    )
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Statistic"]) == ("GreaterThanThreshold", 0, "Sum")
    assert alarm["TreatMissingData"] == "ignore" and alarm["AlarmActions"] == [ref(observability.topic)]


def test_provider_misconfigured_alarm(alarms, observability):
    """Payouts held because the provider says our configuration is wrong page the topic."""
    alarm = alarms[_name("PaymentProviderMisconfigured")]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        catalogue.METRICS_NAMESPACE,
        catalogue.PAYOUT_MISCONFIGURED_METRIC,
    )
    assert catalogue.PAYOUT_OUTCOME_METRICS["misconfigured"] == catalogue.PAYOUT_MISCONFIGURED_METRIC
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Statistic"]) == ("GreaterThanThreshold", 0, "Sum")
    assert alarm["AlarmActions"] == [ref(observability.topic)]
