"""The spec is generated from the code, served locally, and says how to authenticate;
docs/api.md's error catalogue lists the codes the code really uses."""

from __future__ import annotations

import json

from prakerja import api_docs
from prakerja_flow import catalogue, routes


def test_openapi_json_is_served_and_matches_the_committed_spec(cloud):
    status, spec = cloud.request("GET", routes.OPENAPI_PATH, principal=None)
    assert status == 200
    assert spec == json.loads(api_docs.OPENAPI_PATH.read_text())


def test_swagger_ui_is_served(cloud):
    status, headers, page = cloud.http("GET", routes.SWAGGER_PATH, principal=None)
    assert status == 200 and "text/html" in headers.get("Content-Type", "")
    assert "swagger-ui" in page.lower()


def test_the_spec_has_exactly_the_protected_routes_each_with_the_security_scheme():
    spec = api_docs.openapi()
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert documented == {(r.method, r.path) for r in routes.ROUTES if not r.public}
    scheme = spec["components"]["securitySchemes"]["PrakerjaSignature"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "X-Prakerja-Signature"
    assert spec["security"] == [{"PrakerjaSignature": []}]


def test_every_post_documents_the_idempotency_key():
    for path, ops in api_docs.openapi()["paths"].items():
        for method, op in ops.items():
            names = {p["name"].lower() for p in op.get("parameters", []) if p["in"] == "header"}
            assert ("idempotency-key" in names) == (method == "post"), (method, path)


def test_no_request_body_of_a_platform_route_names_a_platform():
    """A platform's identity is its signature; the bodies it sends never name one. (The
    portal's voucher request names the platform the participant chose: not a caller.)"""
    spec = api_docs.openapi()
    schemas = spec["components"]["schemas"]
    platform_bodies = [
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for path in spec["paths"].values()
        for op in path.values()
        if "platforms" in op.get("tags", []) and "requestBody" in op
    ]
    assert platform_bodies, "no platform route has a body?"
    for name in platform_bodies:
        assert "platform_id" not in schemas[name].get("properties", {}), name


def test_error_catalogue_codes_are_the_ones_the_code_uses():
    sources = "\n".join(p.read_text() for p in (catalogue.FUNCTIONS_ROOT / "prakerja_flow").rglob("*.py"))
    for code in api_docs.NON_DOMAIN_CODES:
        assert f'"{code}"' in sources, f"docs/api.md lists {code}, which no code answers"
    documented = {code for code, _, _ in api_docs.error_catalogue()}
    gateway_codes = {e.code for e in routes.GATEWAY_RESPONSES.values() if not e.code.startswith("$")}
    assert gateway_codes <= documented
