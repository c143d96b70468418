"""The checks the HTTP API (handlers/api.py) makes before its resolver routes a request.

They mirror the deployed API's order in front of the function: WAF (body size, media
type), the route table and the Lambda authorizer's decision, then the body itself. Each
answers with the API's one error shape, built here from the raw event because the
resolver has not seen it yet. A separate module so that api.py holds the routes, and so
that what a request must pass to reach a route can be read in one place."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import content_types

from .. import config, routes
from ..auth import signing
from . import request_body

BODY_METHODS = request_body.BODY_METHODS


def error_before_routing(event: dict, status_code: int, code: str, message: str) -> dict:
    request_id = (event.get("requestContext") or {}).get("requestId")
    error = {"code": code, "message": message, "request_id": request_id}
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps({"error": error}),
    }


def refused(event: dict) -> dict | None:
    """The first refusal, in the order of the deployed API: WAF (size, media type), route
    and authorizer, body; None when the request may be routed."""
    return too_large(event) or unsupported_media_type(event) or caller_refused(event) or body_refused(event)


def too_large(event: dict) -> dict | None:
    # Checked before routing: the validation middleware would parse the body first.
    if len((event.get("body") or "").encode()) <= config.MAX_REQUEST_BODY_BYTES:
        return None
    return error_before_routing(
        event, 413, "PayloadTooLarge", f"request body exceeds {config.MAX_REQUEST_BODY_BYTES} bytes"
    )


def _header(event: dict, name: str) -> str | None:
    return signing.header(event.get("headers"), name)


def unsupported_media_type(event: dict) -> dict | None:
    """Bodies are JSON. The WAF rule UnsupportedMediaType refuses the rest in front of the
    deployed API (API Gateway validates a body only against the model of its declared
    content type, and passes other content types on unvalidated); this is the same check,
    for requests that reach the function another way."""
    if (event.get("httpMethod") or "").upper() not in BODY_METHODS:
        return None
    problem = request_body.media_type_problem(_header(event, "Content-Type"))
    return error_before_routing(event, 415, "UnsupportedMediaType", problem) if problem else None


def body_refused(event: dict) -> dict | None:
    """Depth, duplicate keys and strict JSON, before the resolver parses the body (an
    empty body goes on: the route's validation says which fields are missing)."""
    body = event.get("body")
    if (event.get("httpMethod") or "").upper() not in BODY_METHODS or not body:
        return None
    try:
        request_body.parse_object(body)
    except request_body.Refused as refusal:
        return error_before_routing(event, refusal.status, refusal.code, refusal.message)
    return None


def authorizer_context(event: dict) -> dict:
    return (event.get("requestContext") or {}).get("authorizer") or {}


def caller_refused(event: dict) -> dict | None:
    """Defence in depth behind the authorizer: a protected route needs an authenticated
    principal of an admitted kind, and the body must be the one whose hash was signed
    (API Gateway authorizers never see bodies)."""
    method, path = event.get("httpMethod") or "", event.get("path") or ""
    route = routes.find(method, path)
    if route is None:
        # Refused here, not by the resolver: whatever the resolver would match (a trailing
        # slash, ...) must not reach a handler without the route table's check.
        return error_before_routing(event, 404, "RouteNotFound", f"no route for {method} {path}")
    if route.public:
        return None
    kind = authorizer_context(event).get("principal_kind")
    if not kind:
        return error_before_routing(
            event, 401, "Unauthenticated", "the request is not signed; see docs/api.md, Signing requests"
        )
    if not routes.allows(route, kind):
        return error_before_routing(event, 403, "Forbidden", f"a {kind} may not call {route.method} {route.path}")
    if not signing.body_matches(event.get("headers"), event.get("body")):
        return error_before_routing(
            event, 403, "BodyHashMismatch", f"the body's SHA-256 differs from {signing.CONTENT_SHA256}"
        )
    return None


def principal_name(event: dict) -> str:
    context = authorizer_context(event)
    return f"{context.get('principal_kind')}:{context.get('principal_id')}"
