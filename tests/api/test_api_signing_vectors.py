"""The signing test vectors docs/api.md publishes are what auth/signing.py (the server's
check) and the documented Python snippet compute, and what the text's rules compute when
followed literally; the path is checked as sent (percent-escapes decoded first)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, quote, unquote_plus

import pytest

from prakerja import api_docs
from prakerja.local import credentials
from prakerja.local.server import free_port
from prakerja_flow.auth import signing

VECTORS = api_docs.SIGNING_VECTORS


def by_the_text(vector: dict) -> tuple[str, str, str]:
    """(canonical query, body SHA-256, signature) by the eight lines of docs/api.md, with
    nothing but hashlib, hmac and urllib.parse."""
    pairs = []
    for part in vector["query"].split("&") if vector["query"] else []:
        name, _, value = part.partition("=")
        pairs.append((quote(unquote_plus(name), safe="-_.~"), quote(unquote_plus(value), safe="-_.~")))
    query = "&".join(f"{n}={v}" for n, v in sorted(pairs))
    digest = hashlib.sha256((vector["body"] or "").encode()).hexdigest()
    text = "\n".join(
        [
            "PRAKERJA-HMAC-SHA256",
            vector["method"],
            vector["path"],
            query,
            str(vector["timestamp"]),
            vector["nonce"],
            vector["key_id"],
            digest,
        ]
    )
    return query, digest, hmac.new(api_docs.VECTOR_SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['method']} {v['path']}")
def test_each_vector_is_what_the_server_and_the_text_compute(vector):
    params = parse_qs(vector["query"], keep_blank_values=True)
    assert signing.canonical_query(params) == vector["canonical_query"]
    assert signing.content_sha256(vector["body"]) == vector["content_sha256"]
    assert signing.string_to_sign(
        vector["method"],
        vector["path"],
        vector["canonical_query"],
        vector["timestamp"],
        vector["nonce"],
        vector["key_id"],
        vector["content_sha256"],
    ) == api_docs.vector_string_to_sign(vector)
    headers = signing.sign(
        api_docs.VECTOR_SECRET,
        vector["key_id"],
        vector["method"],
        vector["path"],
        vector["body"],
        params,
        vector["timestamp"],
        vector["nonce"],
    )
    assert headers[signing.SIGNATURE] == vector["signature"]
    assert by_the_text(vector) == (vector["canonical_query"], vector["content_sha256"], vector["signature"])
    parts = signing.parse(headers)  # and the server's check passes it
    signing.verify(parts, api_docs.VECTOR_SECRET, vector["method"], vector["path"], params)


def documented_snippet() -> dict:
    (code,) = re.findall(r"```python\n(.*?)```", api_docs.MARKDOWN_PATH.read_text(), re.S)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation, under test
    return namespace


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['method']} {v['path']}")
def test_the_documented_snippet_reproduces_each_vector(vector):
    snippet = documented_snippet()
    body = json.loads(vector["body"]) if vector["body"] is not None else None
    request = snippet["signed"](
        vector["method"],
        vector["path"],
        body,
        vector["key_id"],
        api_docs.VECTOR_SECRET,
        base="http://example.invalid",
        query=vector["query"],
        ts=vector["timestamp"],
        nonce=vector["nonce"],
    )
    headers = {k.lower(): v for k, v in request.header_items()}
    assert headers["x-prakerja-signature"] == vector["signature"]
    assert headers["x-prakerja-content-sha256"] == vector["content_sha256"]
    assert (request.data or b"").decode() == (vector["body"] or "")
    assert snippet["canonical_query"]("b=2&a=x+y") == snippet["canonical_query"]("a=x%20y&b=2") == "a=x%20y&b=2"


def test_the_docs_publish_the_vectors():
    text = api_docs.MARKDOWN_PATH.read_text()
    for vector in VECTORS:
        assert api_docs.vector_string_to_sign(vector) in text and vector["signature"] in text
    assert "Content-Type: application/json" in text and "secretsmanager get-secret-value" in text and "--url" in text


@pytest.fixture(scope="module")
def local_up():
    from prakerja.local.server import up

    port, aws_port = free_port(), free_port()
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(
        target=up,
        args=(port, aws_port, 3600.0, None),
        kwargs={"ready": lambda cloud: ready.set(), "stop": stop},
        daemon=True,
    )
    server.start()
    assert ready.wait(60), "local up did not start"
    yield f"http://127.0.0.1:{port}"
    stop.set()
    server.join(30)


def send(url: str, headers: dict) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_path_is_checked_as_the_gateway_decodes_it(local_up):
    operator = credentials.client(credentials.DEFAULT_OPERATOR)

    def sign(path: str) -> dict:
        return signing.sign(operator.secret, operator.key_id, "GET", path, None, {}, int(time.time()))

    plain = send(f"{local_up}/participants/PNOBODY", sign("/participants/PNOBODY"))
    assert (plain[0], plain[1]["error"]["code"]) == (404, "ParticipantNotFound")  # signed as sent: authenticated
    escaped_raw = send(f"{local_up}/participants/PNOB%4FDY", sign("/participants/PNOB%4FDY"))
    assert (escaped_raw[0], escaped_raw[1]["error"]["code"]) == (403, "InvalidSignature")
    escaped_decoded = send(f"{local_up}/participants/PNOB%4FDY", sign("/participants/PNOBODY"))
    assert (escaped_decoded[0], escaped_decoded[1]["error"]["code"]) == (404, "ParticipantNotFound")
