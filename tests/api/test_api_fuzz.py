"""Schemathesis against the local API over HTTP (the `prakerja local up` server, in a
thread), from the committed OpenAPI spec: valid and invalid requests, every one signed
(so that the fuzzer gets past the authorizer; authentication has its own tests), then
schemathesis' coverage cases, which include methods the spec does not have for a path
(TRACE, OPTIONS, QUERY, ...) and malformed or unsupported content types.

Every response must be in the spec (status, content type, schema), no 5xx, every
invalid request refused, every 4xx in the one error shape, and no refused request may
change the tables."""

from __future__ import annotations

import json
import random
import time
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import GenerationConfig
from schemathesis.generation.meta import REQUEST_SHAPE_PROBES
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.lifecycle_steps import buy, complete, open_wave, register

from prakerja import api_docs
from prakerja.local import credentials
from prakerja.local.cloud import LocalCloud
from prakerja.local.server import ApiServer
from prakerja_flow.auth import signing, store
from prakerja_flow.data import dynamo

# Per operation and generation mode: 9 operations x 2 modes x 60 = 1,080 requests at most
# (schemathesis stops early on an operation with too few distinct inputs; the count is asserted).
EXAMPLES = int(__import__("os").environ.get("FUZZ_EXAMPLES", "60"))
MINIMUM_REQUESTS = 1_000
REFUSALS = (401, 403, 404, 409, 413, 422)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


class SigningSession(requests.Session):
    """Signs the prepared request, i.e. the exact bytes that go out, as a real client
    would; the principal is the route family's local client. Schemathesis sends the
    security scheme's header (X-Prakerja-Signature) with a made-up value, or leaves it
    out to test that credentials are required: a left-out signature stays left out."""

    def send(self, request, **kwargs):
        if signing.SIGNATURE not in request.headers:
            return super().send(request, **kwargs)
        path = unquote(urlsplit(request.url).path)
        query = urlsplit(request.url).query
        body = request.body.encode() if isinstance(request.body, str) else request.body
        request.headers.update(credentials.signed_headers(request.method, path, body, query=query))
        return super().send(request, **kwargs)


@pytest.fixture(scope="module")
def api():
    with LocalCloud() as cloud:
        open_wave(cloud)
        pid = register(cloud)
        buy(cloud, pid)
        complete(cloud, pid)
        cloud.wait_for_token(pid, "RATING")
        with ApiServer(cloud) as server:
            yield cloud, server.url, pid


def assert_one_error_shape(response) -> None:
    """Every refusal, documented status or not: exactly {"error": {"code", "message", "request_id"}}."""
    content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: lowercase names, lists of values
    assert content_type.startswith("application/json"), response.headers
    got = response.json()
    assert set(got) == {"error"} and set(got["error"]) == {"code", "message", "request_id"}, got
    assert isinstance(got["error"]["code"], str) and got["error"]["code"] and got["error"]["message"], got


def snapshot(cloud: LocalCloud) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True) for item in cloud.scan())


def idempotency_records(cloud: LocalCloud) -> int:
    """Remembered responses in the request table (the replay nonces every signed request
    leaves there, by design, are not counted)."""
    out = cloud.ddb.scan(
        TableName=dynamo.request_table(),
        Select="COUNT",
        FilterExpression="NOT begins_with(#id, :nonce)",
        ExpressionAttributeNames={"#id": "id"},
        ExpressionAttributeValues={":nonce": {"S": store.NONCE_PREFIX}},
    )
    assert "LastEvaluatedKey" not in out
    return out["Count"]


def test_fuzz_the_api_from_its_spec(api):
    cloud, base_url, pid = api
    # An invalid request must be refused with a documented 4xx (413 included: an invalid
    # body may also be too large).
    config = schemathesis.Config.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": [str(s) for s in REFUSALS]}}}
    )
    schema = schemathesis.openapi.from_dict(json.loads(api_docs.OPENAPI_PATH.read_text()), config=config)
    session, rng = SigningSession(), random.Random(7)
    counts = {"requests": 0, "refused": 0, "unsigned": 0, "5xx": 0, "accepted_with_key": 0}
    remembered_before = idempotency_records(cloud)
    state = [snapshot(cloud)]
    started = time.monotonic()

    @schema.hook
    def map_path_parameters(context, path_parameters):
        # Half the time aim at the real participant and purchase, so that valid bodies
        # reach the business rules instead of stopping at "not found".
        if path_parameters and rng.random() < 0.5:
            path_parameters.update(
                {k: v for k, v in {"participant_id": pid, "purchase_id": "ORD1"}.items() if k in path_parameters}
            )
        return path_parameters

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                before = state[0]  # the table after the previous request (one scan per request)
                response = case.call(base_url=base_url, session=session)
                counts["requests"] += 1
                counts["5xx"] += response.status_code >= 500
                counts["unsigned"] += signing.SIGNATURE not in response.request.headers
                case.validate_response(response, checks=CHECKS)
                if response.status_code >= 400:
                    assert_one_error_shape(response)
                    counts["refused"] += 1
                    assert snapshot(cloud) == before, f"refused {case.method} {case.formatted_path} changed the table"
                else:
                    counts["accepted_with_key"] += "idempotency-key" in {h.lower() for h in response.request.headers}
                    # An accepted request may start work in the state machine; between two of its
                    # tasks the interpreter can be busy for tens of ms on a loaded machine.
                    cloud.settle(quiet=0.2)
                    state[0] = snapshot(cloud)

            run()
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz: {counts['requests']} requests ({counts['refused']} refused, {counts['unsigned']} unsigned) "
        f"in {elapsed:.1f} s"
    )
    assert counts["5xx"] == 0
    # Refused requests left no remembered response either (checked once: the request table
    # holds a nonce per request, too many to scan after each).
    assert idempotency_records(cloud) - remembered_before <= counts["accepted_with_key"]
    assert counts["requests"] >= MINIMUM_REQUESTS, counts
    assert counts["refused"] < counts["requests"], "nothing was accepted: the signatures or the spec are wrong"


def _is_request_shape_probe(case) -> bool:
    """A method the spec does not have for this path, or a malformed/unsupported content type."""
    phase = getattr(case._meta, "phase", None)
    return getattr(getattr(phase, "data", None), "scenario", None) in REQUEST_SHAPE_PROBES


def test_methods_and_content_types_outside_the_spec(api):
    """Schemathesis' coverage cases for every operation (boundary values, missing and
    duplicate parameters, other methods, other content types): no 5xx, every 4xx in the
    one error shape, refusals change nothing; cases inside the spec also conform to it."""
    cloud, base_url, _ = api
    schema = schemathesis.openapi.from_dict(json.loads(api_docs.OPENAPI_PATH.read_text()))
    session = SigningSession()
    counts = {"requests": 0, "probes": 0, "methods": set(), "415": 0}
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = schema.iter_coverage_cases(
            operation, generation_modes=list(schemathesis.GenerationMode), generation_config=GenerationConfig()
        )
        for case in cases:
            cloud.settle(quiet=0.02)
            before = snapshot(cloud)
            response = case.call(base_url=base_url, session=session)
            counts["requests"] += 1
            assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text)
            if _is_request_shape_probe(case):
                counts["probes"] += 1
                counts["methods"].add(case.method.upper())
                counts["415"] += response.status_code == 415
                assert response.status_code >= 400, (case.method, case.formatted_path, case.headers, response.text)
            else:
                case.validate_response(
                    response,
                    checks=[
                        not_a_server_error,
                        status_code_conformance,
                        content_type_conformance,
                        response_schema_conformance,
                    ],
                )
            if response.status_code >= 400:
                assert_one_error_shape(response)
                cloud.settle(quiet=0.02)
                assert snapshot(cloud) == before, f"refused {case.method} {case.formatted_path} changed the table"
    print(
        f"\ncoverage: {counts['requests']} requests, {counts['probes']} outside the spec, "
        f"methods {sorted(counts['methods'])}"
    )
    assert {"TRACE", "OPTIONS", "DELETE", "PATCH"} <= counts["methods"], counts
    assert counts["415"] >= 8, counts  # every POST/PUT operation got an unsupported content type
