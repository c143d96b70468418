"""Scheduled jobs (EventBridge Scheduler in AWS). They run "as of" the schedule's
`scheduled_time`, so the local runtime can drive them with a simulated clock."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import clock, config
from .. import observability_names as names
from ..observability import logger, metrics, tracer
from ..payments import get_provider
from ..services import payout_run, provider_health, reconciliation, sweeps
from .clock_source import install as install_clock_source

install_clock_source()  # the wall clock unless this is a development stack on a programme clock


# --- the payout-run state machine's steps (statemachines/payout_run.asl.json) ------------


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def plan_payout_run(event: dict, context: LambdaContext) -> dict:
    plan = payout_run.plan(clock.from_event(event), event.get("run"))
    logger.info("payout run planned", extra={k: plan[k] for k in ("as_of", "paused", "shards")})
    return plan


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def pay_shard(event: dict, context: LambdaContext) -> dict:
    """One batch of one shard: stops before the function's timeout with the cursor in its
    output, and the state machine loops while `more`."""
    margin_ms = config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT.total_seconds() * 1000
    state = payout_run.pay_batch(
        event, get_provider(), has_time=lambda: context.get_remaining_time_in_millis() > margin_ms
    )
    logger.info("payout shard batch finished", extra={k: v for k, v in state.items() if k != "cursor"})
    return dict(state)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def summarise_payout_run(event: dict, context: LambdaContext) -> dict:
    run = payout_run.summarise(event["as_of"], event.get("run"), event["shards"], event["shard_reports"])
    provider_health.after_payout_run(run, clock.parse(run.as_of))
    report = run.as_dict()
    for outcome, name in names.PAYOUT_OUTCOME_METRICS.items():
        metrics.add_metric(name=name, unit="Count", value=report["outcomes"].get(outcome, 0))
    metrics.add_metric(name=names.PAYOUT_AMOUNT_METRIC, unit="Count", value=report["paid_idr"])
    metrics.add_metric(name=names.PAYOUT_RUN_STOPPED_EARLY_METRIC, unit="Count", value=int(report["stopped_early"]))
    metrics.add_metric(name=names.PAYOUT_SHARDS_FAILED_METRIC, unit="Count", value=len(report["failed_shards"]))
    if report["failed_shards"]:
        logger.error("payout run finished with failed shards; their work stays queued", extra=report)
    else:
        logger.info("payout run finished", extra=report)
    return report


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def deadline_sweep(event: dict, context: LambdaContext) -> dict:
    report = sweeps.sweep(clock.from_event(event))
    logger.info("deadline sweep finished", extra=report)
    return report


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def reconcile(event: dict, context: LambdaContext) -> dict:
    """The provider's statement of the last RECONCILIATION_WINDOW against our ledger."""
    until = clock.from_event(event)
    report = reconciliation.reconcile(get_provider(), until - config.RECONCILIATION_WINDOW, until).as_dict()
    metrics.add_metric(name=names.RECONCILIATION_MISMATCH_METRIC, unit="Count", value=len(report["mismatches"]))
    if report["mismatches"]:
        logger.error("reconciliation found mismatches", extra=report)
    else:
        logger.info("reconciliation clean", extra=report)
    return report
