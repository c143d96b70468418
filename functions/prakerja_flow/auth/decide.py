"""The authorizer's decision, with its I/O passed in (lookup of a client key, the nonce
memory) so that every branch is unit-tested without AWS."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .. import routes
from . import signing
from .signing import Rejected


@dataclass(frozen=True)
class Principal:
    kind: str
    id: str
    key_id: str

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as the client sent it (signed)
    resource: str  # the route template API Gateway matched
    headers: Mapping[str, str]
    query: Mapping[str, list[str]]


def authenticate(
    request: Request,
    *,
    now: float,
    tolerance_seconds: float,
    client_for: Callable[[str], object | None],
    remember_nonce: Callable[[str, str, int, int], bool],
) -> Principal:
    """The principal behind a request allowed on its route, or Unsigned (401) /
    Rejected (403) saying why not. The order is deliberate: cheap checks first, the
    nonce is remembered only for a request that passed every other check (so forged
    requests cannot burn a legitimate client's nonces)."""
    try:
        route = routes.by_path(request.method, request.resource)
    except KeyError:
        raise Rejected("Forbidden", f"no route {request.method} {request.resource}") from None
    parts = signing.parse(request.headers)
    signing.check_fresh(parts, now, tolerance_seconds)
    client = client_for(parts.key_id)
    if client is None:
        # Same answer as a wrong signature: whether a key id exists is not revealed.
        raise Rejected("InvalidSignature", "the signature does not match the request (see docs/api.md, Signing)")
    signing.verify(parts, client.secret, request.method, request.path, request.query)
    principal = Principal(client.principal_kind, client.principal_id, client.key_id)
    if not routes.allows(route, principal.kind):
        raise Rejected("Forbidden", f"a {principal.kind} may not call {route.method} {route.path}")
    if not remember_nonce(parts.key_id, parts.nonce, int(parts.timestamp + tolerance_seconds), int(now)):
        raise Rejected("RequestReplayed", "this nonce was already used: sign every request afresh")
    return principal
