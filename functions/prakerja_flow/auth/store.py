"""Data access of the authorizer: client secrets (Secrets Manager) and replay nonces
(DynamoDB, the request-deduplication table shared with idempotency records)."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from .. import config, settings
from ..data import clients, dynamo, schema
from ..routes import PRINCIPAL_KINDS

SECRET_FOLDER = "api-clients"
NONCE_PREFIX = "nonce#"


@dataclass(frozen=True)
class Client:
    key_id: str
    principal_kind: str
    principal_id: str
    secret: str


def secret_name(key_id: str, table_name: str | None = None) -> str:
    """One secret per client key: <table name>/api-clients/<key id>. The table name
    carries the deployment's environment prefix, so environments never share keys."""
    return f"{table_name or settings.table_name()}/{SECRET_FOLDER}/{key_id}"


def secret_value(principal_kind: str, principal_id: str, secret: str) -> str:
    """The SecretString layout an operator stores for a new client (docs/api.md)."""
    return json.dumps({"principal_kind": principal_kind, "principal_id": principal_id, "secret": secret})


# Found secrets: Powertools Parameters' cache (max_age), which only real clients enter.
# Misses: a bounded, expiring map of key id -> when the miss was seen, oldest first.
_lock = threading.Lock()
_provider: SecretsProvider | None = None
_unknown: OrderedDict[str, float] = OrderedDict()


def reset() -> None:
    """The local runtime calls this when it starts a fresh mock world."""
    global _provider
    with _lock:
        _provider = None
        _unknown.clear()


def cache_sizes() -> dict[str, int]:
    with _lock:
        return {"unknown_key_ids": len(_unknown), "client_secrets": len(_provider.store) if _provider else 0}


def _secrets() -> SecretsProvider:
    global _provider
    boto3_client = clients.client("secretsmanager")
    with _lock:
        if _provider is None or _provider.client is not boto3_client:  # clients.reset(): another endpoint
            _provider = SecretsProvider(boto3_client=boto3_client)
        return _provider


def _known_missing(key_id: str, now: float) -> bool:
    with _lock:
        seen = _unknown.get(key_id)
        if seen is not None and now - seen < config.API_UNKNOWN_KEY_CACHE_TTL.total_seconds():
            return True
        _unknown.pop(key_id, None)
        return False


def _remember_missing(key_id: str, now: float) -> None:
    with _lock:
        _unknown[key_id] = now
        _unknown.move_to_end(key_id)
        while len(_unknown) > config.API_UNKNOWN_KEY_CACHE_SIZE:
            _unknown.popitem(last=False)


def client_for(key_id: str, now: float | None = None) -> Client | None:
    """The client holding this key, or None when there is no such key. `now` (monotonic
    seconds) dates misses; found secrets expire by Powertools' clock."""
    now = time.monotonic() if now is None else now
    if _known_missing(key_id, now):
        return None
    try:
        raw = _secrets().get(secret_name(key_id), max_age=int(config.API_CLIENT_SECRET_TTL.total_seconds()))
    except GetParameterError as error:
        # Powertools wraps the SDK's error; the ClientError is its context.
        cause = error.__cause__ or error.__context__
        if isinstance(cause, ClientError) and dynamo.error_code(cause) == "ResourceNotFoundException":
            _remember_missing(key_id, now)
            return None
        raise
    return _client_of(key_id, raw)


def _client_of(key_id: str, raw: str) -> Client:
    value = json.loads(raw)
    if (
        value.get("principal_kind") not in PRINCIPAL_KINDS
        or not value.get("principal_id")
        or len(value.get("secret", "")) < 32
    ):
        # A malformed client secret is an operator mistake; refuse rather than guess.
        raise ValueError(f"client secret {secret_name(key_id)} is malformed")
    return Client(key_id, value["principal_kind"], value["principal_id"], value["secret"])


def remember_nonce(key_id: str, nonce: str, expires_at: int, now: int) -> bool:
    """True the first time this (key, nonce) is seen; False for a replay. The item expires
    (TTL) when its timestamp would be refused anyway; until DynamoDB deletes it, an
    expired item counts as absent."""
    try:
        dynamo.client().put_item(
            TableName=dynamo.request_table(),
            Item={
                schema.IDEMPOTENCY_KEY_ATTR: {"S": f"{NONCE_PREFIX}{key_id}#{nonce}"},
                schema.IDEMPOTENCY_TTL_ATTR: {"N": str(expires_at)},
            },
            ConditionExpression="attribute_not_exists(#id) OR #exp < :now",
            ExpressionAttributeNames={"#id": schema.IDEMPOTENCY_KEY_ATTR, "#exp": schema.IDEMPOTENCY_TTL_ATTR},
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )
        return True
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
