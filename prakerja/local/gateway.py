"""The local API Gateway: routes, the Lambda REQUEST authorizer and gateway responses,
as the CDK-defined REST API applies them (infra/stacks/api.py), from the same
definitions (prakerja_flow.routes), then the proxy event the platform-api function gets.

`handle` is given an `invoke(function_key, event) -> (payload, failed)` so it runs the
real authorizer and API handlers wherever they are hosted (LocalCloud, `local up`)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs

from prakerja_flow import catalogue, config, routes
from prakerja_flow.auth import signing
from prakerja_flow.handlers import request_body

REGION, ACCOUNT, API_ID, STAGE = "ap-southeast-3", "123456789012", "local", "local"
# The authorizer's identity sources (infra/stacks/api.py): API Gateway answers 401
# without calling the authorizer when one is missing.
IDENTITY_HEADERS = (signing.KEY_ID, signing.SIGNATURE)
BODY_METHODS = request_body.BODY_METHODS

Invoke = Callable[[str, dict], tuple[object, bool]]


def method_arn(method: str, path: str) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method.upper()}{path}"


def _query(query: str) -> tuple[dict | None, dict | None]:
    multi = {k: v for k, v in parse_qs(query, keep_blank_values=True).items()} or None
    return ({k: v[-1] for k, v in multi.items()} if multi else None), multi


def _request_context(method: str, path: str, resource: str, request_id: str, headers: dict[str, str]) -> dict:
    return {
        "resourcePath": resource,
        "httpMethod": method.upper(),
        "path": f"/{STAGE}{path}",
        "stage": STAGE,
        "requestId": request_id,
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "identity": {"sourceIp": headers.get("X-Forwarded-For", "127.0.0.1")},
    }


def proxy_event(
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    resource: str = "/{proxy+}",
    path_parameters: dict | None = None,
    authorizer: dict | None = None,
    request_id: str | None = None,
) -> dict:
    headers = dict(headers or {})
    params, multi = _query(query)
    context = _request_context(method, path, resource, request_id or str(uuid.uuid4()), headers)
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": params,
        "multiValueQueryStringParameters": multi,
        "pathParameters": path_parameters if path_parameters is not None else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


def authorizer_event(
    method: str, path: str, resource: str, headers: dict[str, str], query: str, path_parameters: dict, request_id: str
) -> dict:
    """A REQUEST authorizer's input: like the proxy event, without the body."""
    params, multi = _query(query)
    return {
        "type": "REQUEST",
        "methodArn": method_arn(method, path),
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": params,
        "multiValueQueryStringParameters": multi,
        "pathParameters": path_parameters,
        "stageVariables": {},
        "requestContext": _request_context(method, path, resource, request_id, headers),
    }


def gateway_response(
    response_type: str, request_id: str, authorizer_context: dict | None = None, detail: str | None = None
) -> dict:
    """API Gateway's own answer of this type; `detail` is appended to its message (the local
    HTTP server says what was wrong with a request it could not parse)."""
    spec = routes.GATEWAY_RESPONSES[response_type]
    context = authorizer_context or {}

    def render(template: str) -> str:
        if template.startswith("$context.authorizer."):
            return str(context.get(template.removeprefix("$context.authorizer."), ""))
        return template

    message = render(spec.message) + (f": {detail}" if detail else "")
    error = {"code": render(spec.code), "message": message, "request_id": request_id}
    return {
        "statusCode": spec.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"error": error}),
    }


def allows(policy: dict, arn: str) -> bool:
    """IAM evaluation of an authorizer's policy for one method ARN: an explicit Deny wins,
    otherwise some Allow must match."""
    statements = (policy.get("policyDocument") or {}).get("Statement") or []
    allowed = False
    for statement in statements:
        resources = statement.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        if not any(isinstance(r, str) and _iam_pattern(r).fullmatch(arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _iam_pattern(resource: str) -> re.Pattern[str]:
    """An IAM Resource as a regular expression: `*` any run of characters, `?` any one, and
    nothing else special. (fnmatch would read `[...]` as a character class, so a request path
    holding brackets found no Allow and was answered 403 with an empty code.)"""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in resource), re.DOTALL)


def _not_a_json_object(body: str | None) -> bool:
    """What the REST API's request validator (a JSON object model) refuses. Nesting too deep
    for the scan and duplicate keys go on to the function, which names the problem (API
    Gateway's validator takes duplicate keys); the parser is the function's own."""
    if body is None or body == "":
        return False
    try:
        request_body.parse_object(body)
    except (request_body.NotJson, request_body.NotAnObject):
        return True
    except request_body.Refused:
        return False
    return False


def handle(invoke: Invoke, method: str, path: str, body: str | None, headers: dict[str, str], query: str = "") -> dict:
    """One HTTP request through API Gateway: a proxy response (statusCode, headers, body)."""
    method = method.upper()
    request_id = str(uuid.uuid4())
    if len((body or "").encode()) > config.MAX_REQUEST_BODY_BYTES:
        # The WAF rule BodyTooLarge in front of the REST API (infra/stacks/api_waf.py).
        return gateway_response("REQUEST_TOO_LARGE", request_id)
    if method in BODY_METHODS and request_body.media_type_problem(signing.header(headers, "Content-Type")):
        # The WAF rule UnsupportedMediaType (infra/stacks/api_waf.py), before routing.
        return gateway_response("UNSUPPORTED_MEDIA_TYPE", request_id)
    route = routes.find(method, path)
    if route is None:
        return gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id)
    path_parameters = route.match(method, path) or None
    authorizer = None
    if not route.public:
        if any(not signing.header(headers, name) for name in IDENTITY_HEADERS):
            return gateway_response("UNAUTHORIZED", request_id)
        event = authorizer_event(method, path, route.path, headers, query, path_parameters or {}, request_id)
        policy, failed = invoke(catalogue.AUTHORIZER_FUNCTION_KEY, event)
        if failed:
            unauthorized = isinstance(policy, dict) and policy.get("errorMessage") == "Unauthorized"
            return gateway_response("UNAUTHORIZED" if unauthorized else "AUTHORIZER_FAILURE", request_id)
        context = dict(policy.get("context") or {})  # type: ignore[union-attr]
        if not allows(policy, event["methodArn"]):  # type: ignore[arg-type]
            return gateway_response("ACCESS_DENIED", request_id, context)
        authorizer = {**context, "principalId": policy["principalId"]}  # type: ignore[index]
    if method in BODY_METHODS and _not_a_json_object(body):
        # The REST API's request validator (JSON object model) refuses these before the function.
        return gateway_response("BAD_REQUEST_BODY", request_id)
    event = proxy_event(method, path, body, headers, query, route.path, path_parameters, authorizer, request_id)
    response, failed = invoke(catalogue.API_FUNCTION_KEY, event)
    if failed or not isinstance(response, dict):
        return gateway_response("DEFAULT_5XX", request_id)
    return response


def decode_response(response: dict) -> tuple[int, dict[str, str], object]:
    body = response.get("body") or ""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = body
    return int(response["statusCode"]), response_headers(response), parsed


def response_headers(response: dict) -> dict[str, str]:
    """A proxy response's headers; Powertools' REST resolver answers with multiValueHeaders."""
    headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items() if v}
    headers.update(response.get("headers") or {})
    return headers
