"""Every principal kind against every route: allowed where routes.py says so, 403
Forbidden (and nothing written) everywhere else."""

from __future__ import annotations

import pytest
from support.lifecycle_steps import open_wave, register, table_state

from prakerja.local import credentials
from prakerja_flow import routes

PRINCIPALS = {
    routes.PLATFORM: credentials.DEFAULT_PLATFORM,
    routes.PORTAL: credentials.DEFAULT_PORTAL,
    routes.OPERATOR: credentials.DEFAULT_OPERATOR,
}
# What each route family was designed for (the spec of this test, independent of routes.py).
EXPECTED = {
    "waves": {routes.OPERATOR},
    "registration": {routes.PORTAL},
    "status": {routes.PORTAL, routes.OPERATOR},
    "payout-account": {routes.PORTAL},
    "surveys": {routes.PORTAL},
    "vouchers": {routes.PORTAL},  # the participant's consent to a purchase: never the platform's to give
    "purchases": {routes.PLATFORM},
    "completions": {routes.PLATFORM},
    "ratings": {routes.PLATFORM},
}
AUTH_CODES = {
    "Unauthenticated",
    "Forbidden",
    "InvalidSignature",
    "RequestExpired",
    "RequestReplayed",
    "BodyHashMismatch",
}


def concrete(path: str, pid: str) -> str:
    return (
        path.replace("{participant_id}", pid)
        .replace("{purchase_id}", "NOPE")
        .replace("{wave}", "7")
        .replace("{sequence}", "1")
    )


def test_every_protected_route_family_is_in_the_matrix():
    assert {r.family for r in routes.ROUTES if not r.public} == set(EXPECTED)
    for route in routes.ROUTES:
        if not route.public:
            assert route.principals == EXPECTED[route.family], route


@pytest.mark.parametrize("route", [r for r in routes.ROUTES if not r.public], ids=lambda r: f"{r.method} {r.path}")
def test_each_principal_kind_on_each_route(cloud, route):
    open_wave(cloud)
    pid = register(cloud)
    body = None if route.method == "GET" else {}
    for kind, principal in PRINCIPALS.items():
        before = table_state(cloud)
        status, got = cloud.request(route.method, concrete(route.path, pid), body, principal=principal)
        if kind in EXPECTED[route.family]:
            # Past authentication and authorisation: the handler answered (an empty body is
            # invalid, so nothing is written), or the read succeeded.
            assert status == 200 or got["error"]["code"] not in AUTH_CODES, (kind, status, got)
            assert status in (200, 422), (kind, status, got)
        else:
            assert (status, got["error"]["code"]) == (403, "Forbidden"), (kind, got)
        assert table_state(cloud) == before
