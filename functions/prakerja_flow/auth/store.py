"""Data access of the authorizer: client secrets (Secrets Manager) and replay nonces
(DynamoDB, the request-deduplication table shared with idempotency records)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

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


_lock = threading.Lock()
_cache: dict[str, tuple[float, Client | None]] = {}


def reset() -> None:
    """The local runtime calls this when it starts a fresh mock world."""
    with _lock:
        _cache.clear()


def _client():
    return clients.client("secretsmanager")


def client_for(key_id: str, now: float | None = None) -> Client | None:
    """The client holding this key, or None when there is no such key (cached, also the
    misses, so that guessing key ids does not cost a Secrets Manager call each)."""
    now = time.monotonic() if now is None else now
    with _lock:
        hit = _cache.get(key_id)
    if hit is not None and now - hit[0] < config.API_CLIENT_SECRET_TTL.total_seconds():
        return hit[1]
    found = _fetch(key_id)
    with _lock:
        _cache[key_id] = (now, found)
    return found


def _fetch(key_id: str) -> Client | None:
    try:
        raw = _client().get_secret_value(SecretId=secret_name(key_id))["SecretString"]
    except ClientError as error:
        if dynamo.error_code(error) == "ResourceNotFoundException":
            return None
        raise
    value = json.loads(raw)
    if value.get("principal_kind") not in PRINCIPAL_KINDS or not value.get("principal_id") or len(value.get("secret", "")) < 32:
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
            Item={schema.IDEMPOTENCY_KEY_ATTR: {"S": f"{NONCE_PREFIX}{key_id}#{nonce}"},
                  schema.IDEMPOTENCY_TTL_ATTR: {"N": str(expires_at)}},
            ConditionExpression="attribute_not_exists(#id) OR #exp < :now",
            ExpressionAttributeNames={"#id": schema.IDEMPOTENCY_KEY_ATTR, "#exp": schema.IDEMPOTENCY_TTL_ATTR},
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )
        return True
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
