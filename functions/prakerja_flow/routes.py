"""Every route of the HTTP API and who may call it: the one definition read by the API
handler (handlers/api.py), the authorizer (handlers/authorizer.py), the CDK REST API
(infra/stacks/api.py) and the local gateway (prakerja/local/gateway.py).

Principals come in three kinds, each with its own credentials (docs/decisions/0005):
  platform  a partner platform; it reports purchases, completions and ratings, and its
            identity (the principal id) is what those records are bound to
  portal    the participant portal: registration, payout account, purchase vouchers (the
            participant's consent to one purchase), surveys, status
  operator  programme operators: waves, and reading a participant's status
Public routes (the API's own documentation) need no signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLATFORM, PORTAL, OPERATOR = "platform", "portal", "operator"
PRINCIPAL_KINDS = (PLATFORM, PORTAL, OPERATOR)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI / API Gateway style: /participants/{participant_id}
    principals: frozenset[str]  # empty: public, no signature needed
    family: str

    @property
    def public(self) -> bool:
        return not self.principals

    @property
    def resolver_path(self) -> str:
        """The same path in Powertools' resolver syntax (<name>)."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method.upper() != self.method:
            return None
        found = _pattern(self.path).match(path)
        return found.groupdict() if found else None


def _pattern(template: str) -> re.Pattern[str]:
    # A path parameter is one non-empty segment, as in API Gateway resources.
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")


def _route(method: str, path: str, family: str, *principals: str) -> Route:
    return Route(method, path, frozenset(principals), family)


OPENAPI_PATH = "/openapi.json"
SWAGGER_PATH = "/swagger"

ROUTES: tuple[Route, ...] = (
    _route("POST", "/waves/{wave}/open", "waves", OPERATOR),
    _route("POST", "/waves/{wave}/close", "waves", OPERATOR),
    _route("POST", "/participants", "registration", PORTAL),
    _route("GET", "/participants/{participant_id}", "status", PORTAL, OPERATOR),
    _route("PUT", "/participants/{participant_id}/payout-account", "payout-account", PORTAL),
    _route("POST", "/participants/{participant_id}/surveys/{sequence}", "surveys", PORTAL),
    _route("POST", "/participants/{participant_id}/vouchers", "vouchers", PORTAL),
    _route("POST", "/participants/{participant_id}/purchases", "purchases", PLATFORM),
    _route("POST", "/participants/{participant_id}/purchases/{purchase_id}/completion", "completions", PLATFORM),
    _route("POST", "/participants/{participant_id}/purchases/{purchase_id}/rating", "ratings", PLATFORM),
    _route("GET", OPENAPI_PATH, "docs"),
    _route("GET", SWAGGER_PATH, "docs"),
)


def find(method: str, path: str) -> Route | None:
    for route in ROUTES:
        if route.match(method, path) is not None:
            return route
    return None


def by_path(method: str, template: str) -> Route:
    for route in ROUTES:
        if (route.method, route.path) == (method.upper(), template):
            return route
    raise KeyError(f"{method} {template}")


def allows(route: Route, principal_kind: str | None) -> bool:
    return route.public or principal_kind in route.principals


@dataclass(frozen=True)
class GatewayError:
    """A response API Gateway itself gives (a gateway response), in the one error shape.
    `code`/`message` may name the authorizer's context ($context.authorizer.<key>)."""

    status: int
    code: str
    message: str


AUTHORIZER_CODE = "$context.authorizer.code"
AUTHORIZER_MESSAGE = "$context.authorizer.message"

# API Gateway response type -> what the caller gets. infra/stacks/api.py installs these
# as gateway responses; the local gateway answers the same way.
GATEWAY_RESPONSES: dict[str, GatewayError] = {
    "UNAUTHORIZED": GatewayError(
        401, "Unauthenticated", "the request is not signed; see docs/api.md, Signing requests"
    ),
    "ACCESS_DENIED": GatewayError(403, AUTHORIZER_CODE, AUTHORIZER_MESSAGE),
    "MISSING_AUTHENTICATION_TOKEN": GatewayError(404, "RouteNotFound", "no such route"),
    "BAD_REQUEST_BODY": GatewayError(422, "ValidationError", "request body must be a JSON object"),
    "REQUEST_TOO_LARGE": GatewayError(413, "PayloadTooLarge", "request body too large"),
    "UNSUPPORTED_MEDIA_TYPE": GatewayError(
        415, "UnsupportedMediaType", "send request bodies as Content-Type: application/json"
    ),
    "AUTHORIZER_FAILURE": GatewayError(
        500, "InternalError", "the authorizer failed; retry with the same Idempotency-Key"
    ),
    "AUTHORIZER_CONFIGURATION_ERROR": GatewayError(
        500, "InternalError", "the authorizer failed; retry with the same Idempotency-Key"
    ),
    "THROTTLED": GatewayError(429, "Throttled", "too many requests; retry later with the same Idempotency-Key"),
    "DEFAULT_4XX": GatewayError(400, "BadRequest", "the request was refused by the gateway"),
    "DEFAULT_5XX": GatewayError(
        500, "InternalError", "an internal error occurred; retry with the same Idempotency-Key"
    ),
}
