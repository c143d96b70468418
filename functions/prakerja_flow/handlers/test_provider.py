"""Lambda handler of the test payment provider (development stacks only, behind a
function URL): payments/test_provider.py over its table, the API key the functions use."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl

from .. import settings
from ..data import test_provider_store
from ..payments import test_accounts
from ..payments.http import SecretApiKey
from ..payments.test_provider import TestProvider, sleep_then

ENV_OTHER_ACCOUNTS = settings.ENV_TEST_PROVIDER_OTHER_ACCOUNTS
ENV_TIMEOUT_SECONDS = settings.ENV_TEST_PROVIDER_TIMEOUT_SECONDS

_provider: TestProvider | None = None


def _get() -> TestProvider:
    global _provider
    if _provider is None:
        env = settings.current()
        extra = {"timeout_seconds": env.test_provider_timeout_seconds} if env.test_provider_timeout_seconds else {}
        _provider = TestProvider(
            test_provider_store,
            SecretApiKey().get,
            env.test_provider_other_accounts or test_accounts.DEFAULT_OTHER,
            **extra,
        )
    return _provider


def handler(event: dict, context) -> dict:
    """A function URL event (payload format 2.0) in, an HTTP answer out."""
    http = event.get("requestContext", {}).get("http", {})
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    answer = sleep_then(
        _get().handle(
            http.get("method", "GET"),
            event.get("rawPath") or http.get("path", "/"),
            dict(parse_qsl(event.get("rawQueryString") or "")),
            event.get("headers") or {},
            body,
        )
    )
    return {
        "statusCode": answer.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(answer.body),
    }
