"""Local development API clients: the keys `LocalCloud` stores in its (moto) Secrets
Manager and signs requests with. Their secrets are derived from the key id and are
public by design: they exist only in the local world and must never be stored in AWS."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from prakerja_flow import routes

# The partner platforms of the simulation (prakerja.simulate) and the tests.
LOCAL_PLATFORMS = ("pijarmahir", "sekolahmu", "skillacademy", "tokopedia", "bukalapak", "pintaria", "maubelajarapa")
DEFAULT_PLATFORM = f"{routes.PLATFORM}:pijarmahir"
DEFAULT_PORTAL = f"{routes.PORTAL}:web"
DEFAULT_OPERATOR = f"{routes.OPERATOR}:ops"


@dataclass(frozen=True)
class LocalClient:
    principal: str  # <kind>:<id>

    @property
    def kind(self) -> str:
        return self.principal.split(":", 1)[0]

    @property
    def id(self) -> str:
        return self.principal.split(":", 1)[1]

    @property
    def key_id(self) -> str:
        return f"local-{self.kind}-{self.id}"

    @property
    def secret(self) -> str:
        return hashlib.sha256(f"prakerja-local-dev-only:{self.key_id}".encode()).hexdigest()


CLIENTS: dict[str, LocalClient] = {
    c.principal: c
    for c in [LocalClient(f"{routes.PLATFORM}:{p}") for p in LOCAL_PLATFORMS]
    + [LocalClient(DEFAULT_PORTAL), LocalClient(DEFAULT_OPERATOR)]
}


def client(principal: str) -> LocalClient:
    try:
        return CLIENTS[principal]
    except KeyError:
        raise KeyError(f"no local API client {principal!r}; known: {', '.join(sorted(CLIENTS))}") from None


def default_principal(method: str, path: str) -> str | None:
    """Who calls this route by default locally (None: a public route, sent unsigned)."""
    route = routes.find(method, path)
    if route is None or route.public:
        return None
    for kind, principal in (
        (routes.PLATFORM, DEFAULT_PLATFORM),
        (routes.PORTAL, DEFAULT_PORTAL),
        (routes.OPERATOR, DEFAULT_OPERATOR),
    ):
        if kind in route.principals:
            return principal
    raise AssertionError(route)


def signed_headers(
    method: str,
    path: str,
    body: str | bytes | None = None,
    principal: str | None = None,
    query: str = "",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Signature headers of a local client (default: the route family's); {} for a public route."""
    import time
    from urllib.parse import parse_qs

    from prakerja_flow.auth import signing

    principal = principal or default_principal(method, path)
    if principal is None:
        return {}
    local = client(principal)
    return signing.sign(
        local.secret,
        local.key_id,
        method,
        path,
        body,
        parse_qs(query, keep_blank_values=True),
        int(time.time()) if timestamp is None else timestamp,
        nonce,
    )
