"""Request signing and the authorizer's decision, pure: no AWS, no clock."""

from __future__ import annotations

import pytest

from prakerja_flow import routes
from prakerja_flow.auth import decide, signing
from prakerja_flow.auth.signing import Rejected, Unsigned
from prakerja_flow.auth.store import Client

SECRET = "s" * 40
NOW = 1_800_000_000
PURCHASES = "/participants/{participant_id}/purchases"


def signed_request(
    method="POST",
    path="/participants/P1/purchases",
    resource=PURCHASES,
    body='{"a":1}',
    key_id="k-platform",
    timestamp=NOW,
    nonce="n" * 20,
    secret=SECRET,
    query=None,
    **header_overrides,
) -> decide.Request:
    headers = signing.sign(secret, key_id, method, path, body, query, timestamp, nonce)
    headers.update(header_overrides)
    return decide.Request(method, path, resource, headers, query or {})


CLIENTS = {
    "k-platform": Client("k-platform", routes.PLATFORM, "pijarmahir", SECRET),
    "k-portal": Client("k-portal", routes.PORTAL, "web", SECRET),
}


def authenticate(request, seen=None):
    seen = set() if seen is None else seen

    def remember(key_id, nonce, expires_at, now):
        # Remembered for as long as the timestamp would be accepted.
        assert expires_at == int(signing.header(request.headers, signing.TIMESTAMP)) + 300 and now == NOW
        if (key_id, nonce) in seen:
            return False
        seen.add((key_id, nonce))
        return True

    return decide.authenticate(request, now=NOW, tolerance_seconds=300, client_for=CLIENTS.get, remember_nonce=remember)


def test_a_correctly_signed_request_yields_its_principal():
    principal = authenticate(signed_request())
    assert (principal.kind, principal.id, principal.key_id, principal.name) == (
        "platform",
        "pijarmahir",
        "k-platform",
        "platform:pijarmahir",
    )


def test_string_to_sign_is_the_documented_layout():
    text = signing.string_to_sign("post", "/p", "a=1&b=2", 5, "nonce", "key", "h")
    assert text == "PRAKERJA-HMAC-SHA256\nPOST\n/p\na=1&b=2\n5\nnonce\nkey\nh"


def test_query_order_does_not_matter_but_values_do():
    assert signing.canonical_query({"b": ["2"], "a": ["1", "0"]}) == "a=0&a=1&b=2"
    assert signing.canonical_query({"a": ["x y"]}) == "a=x%20y"


@pytest.mark.parametrize("missing", signing.SIGNED_HEADERS)
def test_a_missing_header_is_unauthenticated(missing):
    request = signed_request()
    headers = {k: v for k, v in request.headers.items() if k != missing}
    with pytest.raises(Unsigned) as refused:
        authenticate(decide.Request(request.method, request.path, request.resource, headers, {}))
    assert refused.value.code == "Unauthenticated" and missing in refused.value.message


def test_header_names_are_case_insensitive():
    request = signed_request()
    lowered = {k.lower(): v for k, v in request.headers.items()}
    assert authenticate(decide.Request(request.method, request.path, request.resource, lowered, {})).id == "pijarmahir"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "x" * 40}, "InvalidSignature"),  # another secret
        ({"key_id": "k-unknown"}, "InvalidSignature"),  # unknown key: same answer as a bad signature
        ({"timestamp": NOW - 301}, "RequestExpired"),
        ({"timestamp": NOW + 301}, "RequestExpired"),
        ({"nonce": "short"}, "InvalidSignature"),
        ({"key_id": "Bad/Key"}, "InvalidSignature"),
    ],
)
def test_bad_signatures_are_rejected(change, code):
    with pytest.raises(Rejected) as refused:
        authenticate(signed_request(**change))
    assert refused.value.code == code


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: decide.Request(
            r.method, "/participants/P2/purchases", r.resource, r.headers, r.query
        ),  # other participant
        lambda r: decide.Request(
            "GET", r.path.rsplit("/", 1)[0], "/participants/{participant_id}", r.headers, r.query
        ),  # other route
        lambda r: decide.Request(r.method, r.path, r.resource, r.headers, {"x": ["1"]}),  # added query
        lambda r: decide.Request(
            r.method, r.path, r.resource, {**r.headers, signing.CONTENT_SHA256: signing.content_sha256("{}")}, r.query
        ),
        lambda r: decide.Request(r.method, r.path, r.resource, {**r.headers, signing.TIMESTAMP: str(NOW + 1)}, r.query),
        lambda r: decide.Request(r.method, r.path, r.resource, {**r.headers, signing.NONCE: "m" * 20}, r.query),
    ],
)
def test_every_signed_part_is_covered(tamper):
    with pytest.raises(Rejected) as refused:
        authenticate(tamper(signed_request()))
    assert refused.value.code == "InvalidSignature"


def test_timestamps_within_the_tolerance_pass():
    assert authenticate(signed_request(timestamp=NOW - 300)).id == "pijarmahir"
    assert authenticate(signed_request(timestamp=NOW + 300)).id == "pijarmahir"


def test_a_replayed_nonce_is_refused():
    seen: set = set()
    authenticate(signed_request(), seen)
    with pytest.raises(Rejected) as refused:
        authenticate(signed_request(), seen)
    assert refused.value.code == "RequestReplayed"


def test_a_request_refused_for_another_reason_does_not_burn_its_nonce():
    seen: set = set()
    with pytest.raises(Rejected):
        authenticate(signed_request(secret="x" * 40), seen)
    with pytest.raises(Rejected):
        authenticate(signed_request(key_id="k-portal"), seen)  # right signature, wrong kind
    assert seen == set()
    assert authenticate(signed_request(), seen).id == "pijarmahir"


def test_a_principal_kind_only_opens_its_routes():
    with pytest.raises(Rejected) as refused:
        authenticate(signed_request(key_id="k-portal"))
    assert refused.value.code == "Forbidden"
    portal = authenticate(
        signed_request(
            method="GET",
            path="/participants/P1",
            resource="/participants/{participant_id}",
            body=None,
            key_id="k-portal",
        )
    )
    assert portal.kind == "portal"


def test_an_unknown_route_is_forbidden():
    with pytest.raises(Rejected) as refused:
        authenticate(signed_request(resource="/admin"))
    assert refused.value.code == "Forbidden"


def test_body_matches_checks_the_exact_bytes():
    headers = signing.sign(SECRET, "k", "POST", "/p", '{"a": 1}', None, NOW)
    assert signing.body_matches(headers, '{"a": 1}')
    assert not signing.body_matches(headers, '{"a":1}')
    assert not signing.body_matches({}, '{"a": 1}')
    assert signing.body_matches(signing.sign(SECRET, "k", "GET", "/p", None, None, NOW), None)


def test_routes_match_templates_by_segment():
    route = routes.find("POST", "/participants/P1/purchases/O-1/rating")
    assert route is not None and route.family == "ratings"
    assert route.match("POST", "/participants/P1/purchases/O-1/rating") == {
        "participant_id": "P1",
        "purchase_id": "O-1",
    }
    assert routes.find("POST", "/participants/P1/purchases/O/1/rating") is None
    assert routes.find("GET", "/participants/P1/purchases") is None
    assert routes.find("GET", "/participants/") is None
    assert route.resolver_path == "/participants/<participant_id>/purchases/<purchase_id>/rating"


def test_the_authorizer_answers_as_api_gateway_expects(monkeypatch):
    """Allow with the principal in the context, Deny with a JSON-safe code and message,
    and the exact exception API Gateway turns into 401."""
    from prakerja_flow.auth import store
    from prakerja_flow.handlers import authorizer

    monkeypatch.setattr(store, "client_for", lambda key_id: CLIENTS.get(key_id))
    monkeypatch.setattr(store, "remember_nonce", lambda *args: True)
    monkeypatch.setattr(authorizer.time, "time", lambda: NOW)
    request = signed_request()
    event = {
        "httpMethod": "POST",
        "path": request.path,
        "resource": PURCHASES,
        "headers": dict(request.headers),
        "methodArn": "arn:aws:execute-api:r:1:api/v1/POST/participants/P1/purchases",
    }
    allowed = authorizer.handler(event, None)
    assert allowed["principalId"] == "platform:pijarmahir"
    assert allowed["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
    ]
    assert allowed["context"] == {"principal_kind": "platform", "principal_id": "pijarmahir", "key_id": "k-platform"}
    denied = authorizer.handler({**event, "resource": '/x"y\\z'}, None)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert (
        denied["context"]["code"] == "Forbidden"
        and '"' not in denied["context"]["message"]
        and "\\" not in denied["context"]["message"]
    )
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer.handler({**event, "headers": {}}, None)


# Unicode digits that str.isdigit() admits and int() may or may not take, signs, spaces,
# a trailing newline (which a `$` regex lets through), and one digit too many.
@pytest.mark.parametrize(
    "timestamp",
    [
        "1²",
        "١٨٠٠٠٠٠٠٠٠",
        "１８００００００００",
        "+1800000000",
        " 1800000000",
        "1800000000\n",
        "-1",
        "1_800_000_000",
        "1" * 13,
        "",
    ],
)
def test_a_timestamp_that_is_not_1_to_12_ascii_digits_is_refused(timestamp):
    with pytest.raises(Rejected) as refused:
        signing.parse(
            {**signing.sign(SECRET, "k-platform", "GET", "/p", None, None, NOW), signing.TIMESTAMP: timestamp}
        )
    assert refused.value.code in ("InvalidSignature", "Unauthenticated")
    assert signing.TIMESTAMP in refused.value.message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (signing.KEY_ID, "k-platform\n"),
        (signing.NONCE, "n" * 20 + "\n"),
        (signing.SIGNATURE, "a" * 64 + "\n"),
        (signing.CONTENT_SHA256, "b" * 64 + "\n"),
    ],
)
def test_signature_headers_must_match_their_pattern_exactly(name, value):
    with pytest.raises(Rejected) as refused:
        signing.parse({**signing.sign(SECRET, "k-platform", "GET", "/p", None, None, NOW), name: value})
    assert refused.value.code == "InvalidSignature"


def test_the_authorizer_denies_a_superscript_timestamp_instead_of_failing(monkeypatch):
    """Finding 3 of issue 12: `1²` passed str.isdigit(), int() raised, the authorizer
    failed and API Gateway answered 500 to an unauthenticated caller."""
    from prakerja_flow.handlers import authorizer

    monkeypatch.setattr(authorizer.time, "time", lambda: NOW)
    headers = {**signed_request().headers, signing.TIMESTAMP: "1²"}
    event = {
        "httpMethod": "POST",
        "path": "/participants/P1/purchases",
        "resource": PURCHASES,
        "headers": headers,
        "methodArn": "arn:aws:execute-api:r:1:api/v1/POST/participants/P1/purchases",
    }
    denied = authorizer.handler(event, None)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["context"]["code"] == "InvalidSignature"
