"""Tasks of the participant lifecycle state machine. A raised DomainError reaches
Step Functions with its class name as the error name (e.g. CompletionMismatch),
which the ASL's Catch rules route on."""

from __future__ import annotations

import functools

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from pydantic import BaseModel, ConfigDict, Field

from .. import clock
from ..domain import errors
from ..observability import logger, metrics, tracer
from ..services import lifecycle
from .clock_source import install as install_clock_source

install_clock_source()  # the wall clock unless this is a development stack on a programme clock


class _TaskInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_id: str = Field(min_length=1, max_length=64)


class AwaitEventInput(_TaskInput):
    stage: str = Field(pattern="^(PURCHASE|COMPLETION|RATING|PAYOUT|SURVEYS)$")
    sequence: int | None = Field(default=None, ge=1)
    task_token: str = Field(min_length=1, max_length=2048)


class PurchaseInput(_TaskInput):
    purchase_id: str = Field(min_length=1, max_length=64)


class GrantInput(PurchaseInput):
    # The definition says whether it waits for the payments: false since ADR 0013 (the
    # lifecycle ends at the grant); executions of the earlier definition pass nothing.
    lifecycle_waits: bool = True


# Codes AWS documents as "retry later" for the DynamoDB and Step Functions calls these tasks
# make. They reach us only once botocore's own retries (standard mode) have given up.
RETRYABLE_AWS_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def _retryable_as_transient(fn):
    """Renames a worth-retrying AWS failure TransientError, the name the ASL's Retry matches:
    left as ClientError it would fail the participant's execution on a throttle."""

    @functools.wraps(fn)
    def wrapper(event, context):
        try:
            return fn(event, context)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in RETRYABLE_AWS_CODES:
                raise errors.TransientError(code) from error
            raise
        except (ConnectionError, HTTPClientError) as error:
            raise errors.TransientError(type(error).__name__) from error

    return wrapper


def _entry(fn):
    return logger.inject_lambda_context(tracer.capture_lambda_handler(metrics.log_metrics(_retryable_as_transient(fn))))


@_entry
@event_parser(model=AwaitEventInput)
def await_event(event: AwaitEventInput, context: LambdaContext) -> dict:
    return lifecycle.await_event(event.participant_id, event.stage, event.sequence, event.task_token, clock.now())


@_entry
@event_parser(model=PurchaseInput)
def verify_purchase(event: PurchaseInput, context: LambdaContext) -> dict:
    return lifecycle.verify_purchase(event.participant_id, event.purchase_id, clock.now())


@_entry
@event_parser(model=PurchaseInput)
def verify_completion(event: PurchaseInput, context: LambdaContext) -> dict:
    return lifecycle.verify_completion(event.participant_id, event.purchase_id)


@_entry
@event_parser(model=PurchaseInput)
def check_rating(event: PurchaseInput, context: LambdaContext) -> dict:
    return lifecycle.check_rating(event.participant_id, event.purchase_id)


@_entry
@event_parser(model=GrantInput)
def grant_incentives(event: GrantInput, context: LambdaContext) -> dict:
    result = lifecycle.grant_incentives(
        event.participant_id, event.purchase_id, clock.now(), lifecycle_waits=event.lifecycle_waits
    )
    if result["granted_now"]:
        metrics.add_metric(name="IncentivesGranted", unit="Count", value=1)
    return result


@_entry
@event_parser(model=_TaskInput)
def revoke_participation(event: _TaskInput, context: LambdaContext) -> dict:
    metrics.add_metric(name="ParticipantsRevoked", unit="Count", value=1)
    return lifecycle.revoke(event.participant_id, lifecycle.NO_PURCHASE_REASON, clock.now())
