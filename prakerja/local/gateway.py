"""HTTP requests as API Gateway REST proxy events, the way the deployed API hands them
to the platform-api function."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs


def proxy_event(method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None, query: str = "") -> dict:
    headers = dict(headers or {})
    params = {k: v[-1] for k, v in parse_qs(query).items()} or None
    multi = {k: v for k, v in parse_qs(query).items()} or None
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": params,
        "multiValueQueryStringParameters": multi,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method.upper(),
            "path": "/local" + path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "accountId": "123456789012",
            "apiId": "local",
            "identity": {"sourceIp": headers.get("X-Forwarded-For", "127.0.0.1")},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def decode_response(response: dict) -> tuple[int, dict[str, str], object]:
    body = response.get("body") or ""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = body
    return int(response["statusCode"]), dict(response.get("headers") or {}), parsed
