"""Idempotency-Key for every POST: Powertools idempotency with its DynamoDB persistence
layer (the request table, schema.idempotency_table_definition).

- The record key is the caller's principal + method + path + the key: two callers can
  never see each other's responses, whatever keys they pick.
- Only successes (2xx) are remembered and replayed. A refused request changed nothing,
  so running it again is safe, and a fixed request may reuse its key.
- Same key, different body (its SHA-256) -> 422 IdempotencyKeyReused; the same key while
  its first request still runs -> 409 IdempotencyKeyInProgress.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from .. import config
from ..auth import signing
from ..data import dynamo, schema

HEADER = "Idempotency-Key"
# fullmatch: with match, `$` would also accept a trailing newline.
KEY_PATTERN = re.compile(rf"^[A-Za-z0-9._:-]{{1,{config.IDEMPOTENCY_KEY_MAX_CHARS}}}$")
REPLAYED_HEADER = "Idempotent-Replayed"


class _NotRemembered(Exception):
    """Raised with a non-2xx response: Powertools then deletes the in-progress record."""

    def __init__(self, response: dict):
        super().__init__(response.get("statusCode"))
        self.response = response


def key_problem(key: str) -> str | None:
    if KEY_PATTERN.fullmatch(key):
        return None
    return f"{HEADER} must be 1-{config.IDEMPOTENCY_KEY_MAX_CHARS} characters of A-Z a-z 0-9 . _ : -"


def record_key(principal: str, method: str, path: str, key: str) -> str:
    return f"{principal}|{method.upper()}|{path}|{key}"


def _mark_replayed(response: dict, _record) -> dict:
    headers = dict(response.get("headers") or {})
    headers[REPLAYED_HEADER] = "true"
    return {**response, "headers": headers}


_config = IdempotencyConfig(
    event_key_jmespath="key",
    payload_validation_jmespath="body_sha256",
    expires_after_seconds=int(config.IDEMPOTENCY_KEY_TTL.total_seconds()),
    # No in-memory cache: it would outlive the local runtime's worlds, and in AWS the
    # table is the only truth shared by concurrent Lambda instances.
    use_local_cache=False,
    response_hook=_mark_replayed,
)


def _remembered(request: dict, run: Callable[[], dict]) -> dict:
    response = run()
    if not 200 <= int(response.get("statusCode", 500)) < 300:
        raise _NotRemembered(response)
    return response


def run(
    event: dict, context, principal: str, resolve: Callable[[], dict], error: Callable[[int, str, str], dict]
) -> dict:
    """`resolve()` once per (principal, route, key) while its success is remembered."""
    key = signing.header(event.get("headers"), HEADER)
    if (event.get("httpMethod") or "").upper() != "POST" or key is None:
        return resolve()
    problem = key_problem(key)
    if problem:
        return error(422, "ValidationError", problem)
    request = {
        "key": record_key(principal, event["httpMethod"], event.get("path") or "", key),
        "body_sha256": hashlib.sha256((event.get("body") or "").encode("utf-8")).hexdigest(),
    }
    store = DynamoDBPersistenceLayer(
        table_name=dynamo.request_table(),
        key_attr=schema.IDEMPOTENCY_KEY_ATTR,
        expiry_attr=schema.IDEMPOTENCY_TTL_ATTR,
        boto3_client=dynamo.client(),
    )
    if context is not None:
        _config.register_lambda_context(context)  # an in-progress record expires with the invocation
    remembered = idempotent_function(data_keyword_argument="request", persistence_store=store, config=_config)(
        _remembered
    )
    try:
        return remembered(request=request, run=resolve)
    except _NotRemembered as refused:
        return refused.response
    except IdempotencyValidationError:
        return error(422, "IdempotencyKeyReused", f"this {HEADER} was used with a different request body")
    except IdempotencyAlreadyInProgressError:
        return error(409, "IdempotencyKeyInProgress", f"a request with this {HEADER} is still running; retry shortly")
