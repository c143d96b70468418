"""A throttled AWS call inside a lifecycle task reaches Step Functions as TransientError, the
name the ASL retries; a business refusal or an unexpected AWS error keeps its own name."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from prakerja_flow.domain import errors
from prakerja_flow.handlers import lifecycle as handler
from prakerja_flow.services import lifecycle as service

CONTEXT = SimpleNamespace(
    function_name="verify-purchase",
    memory_limit_in_mb=256,
    aws_request_id="r-1",
    invoked_function_arn="arn:aws:lambda:ap-southeast-3:000000000000:function:verify-purchase",
)
EVENT = {"participant_id": "P1", "purchase_id": "X1"}


def _failing(exc):
    def fail(*args, **kwargs):
        raise exc

    return fail


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "TransactWriteItems")


@pytest.mark.parametrize("code", sorted(handler.RETRYABLE_AWS_CODES))
def test_a_throttle_is_raised_as_transient_error(monkeypatch, code):
    monkeypatch.setattr(service, "verify_purchase", _failing(_client_error(code)))
    with pytest.raises(errors.TransientError, match=code):
        handler.verify_purchase(EVENT, CONTEXT)


def test_a_lost_connection_is_raised_as_transient_error(monkeypatch):
    monkeypatch.setattr(service, "verify_purchase", _failing(EndpointConnectionError(endpoint_url="https://dynamodb")))
    with pytest.raises(errors.TransientError):
        handler.verify_purchase(EVENT, CONTEXT)


def test_other_aws_errors_and_business_errors_keep_their_names(monkeypatch):
    monkeypatch.setattr(service, "verify_purchase", _failing(_client_error("ValidationException")))
    with pytest.raises(ClientError):
        handler.verify_purchase(EVENT, CONTEXT)
    monkeypatch.setattr(service, "verify_purchase", _failing(errors.BundleNotAllowed("two trainings")))
    with pytest.raises(errors.BundleNotAllowed):
        handler.verify_purchase(EVENT, CONTEXT)
