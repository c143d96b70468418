"""What a request body must be before a model sees it (handlers/request_body.py, used by
the API function and the local gateway): a JSON object, nested at most
config.REQUEST_JSON_MAX_DEPTH deep, without duplicate keys, sent as application/json.
Unit tests of the parser, then the same refusals over the local gateway and in the API
function invoked directly (as API Gateway would invoke it), each changing nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.lifecycle_steps import nik, open_wave, purchase_body, refused, register, table_state

from prakerja.local import gateway
from prakerja_flow import catalogue, config
from prakerja_flow.handlers import request_body
from prakerja_flow.handlers.request_body import DuplicateKey, NotAnObject, NotJson, NumberTooLong, TooDeep

DEPTH = config.REQUEST_JSON_MAX_DEPTH
NESTED_ATTACK = '{"a":' * 2_500 + "1" + "}" * 2_500  # issue 12, finding 4: under 16 KiB


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "[]" + "}" * (depth - 1)


# --- the parser, pure ---------------------------------------------------------------


def test_an_object_within_the_depth_limit_parses():
    assert request_body.parse_object(nested(DEPTH)) is not None
    assert request_body.parse_object('{"a": [1, {"b": "[[[{{{"}]}') == {"a": [1, {"b": "[[[{{{"}]}


def test_brackets_inside_strings_do_not_count_as_depth():
    text = json.dumps({"review": "[" * 1_000 + '\\"{' * 100})
    assert request_body.parse_object(text) == json.loads(text)


@pytest.mark.parametrize("text", [nested(DEPTH + 1), NESTED_ATTACK, "[" * 100_000])
def test_deeper_nesting_is_refused_before_parsing(text):
    with pytest.raises(TooDeep) as refused_:
        request_body.parse_object(text)
    assert f"more than {DEPTH} levels" in refused_.value.message


def test_the_depth_scan_does_not_recurse():
    """With a recursion limit far below the nesting, the scan still answers TooDeep
    (json.loads would raise RecursionError; the scan must not even come close)."""
    script = (
        "import sys\n"
        "from prakerja_flow.handlers import request_body\n"
        "sys.setrecursionlimit(60)\n"
        "try:\n"
        "    request_body.parse_object('[' * 1_000_000 + ']' * 1_000_000)\n"
        "except request_body.TooDeep:\n"
        "    print('TooDeep')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "TooDeep", done.stderr


@pytest.mark.parametrize(
    "text", ['{"nik": "1", "nik": "2"}', '{"a": {"b": 1, "b": 1}}', '{"a": [{"x": 1}, {"y": 1, "y": 2}]}']
)
def test_duplicate_keys_at_any_depth_are_refused(text):
    with pytest.raises(DuplicateKey) as refused_:
        request_body.parse_object(text)
    assert "duplicate key" in refused_.value.message


@pytest.mark.parametrize(
    "text", ["{", '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 1} x', "\ufeff{}", "{'a': 1}"]
)
def test_what_is_not_json_is_refused(text):
    with pytest.raises(NotJson):
        request_body.parse_object(text)


@pytest.mark.parametrize("text", ["[]", "1", '"x"', "null", "true"])
def test_a_body_must_be_an_object(text):
    with pytest.raises(NotAnObject):
        request_body.parse_object(text)


@pytest.mark.parametrize(
    "text",
    ['{"a": -%s}' % ("9" * (config.REQUEST_JSON_MAX_INTEGER_DIGITS + 1)), "1" * 5_000, '{"a": ' + "9" * 5_000 + "}"],
)
def test_integers_longer_than_dynamodb_numbers_are_refused_while_parsing(text):
    assert request_body.parse_object('{"a": %s}' % ("9" * config.REQUEST_JSON_MAX_INTEGER_DIGITS))["a"] > 0
    with pytest.raises(NumberTooLong) as refused_:
        request_body.parse(text)
    assert f"{config.REQUEST_JSON_MAX_INTEGER_DIGITS} digits" in refused_.value.message


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("Application/JSON; charset=UTF-8", True),
        ("application/json;charset=utf-8", True),
        ("text/plain", False),
        ("application/json; charset=latin-1", False),
        ("application/jsonx", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
        (None, False),
        ("", False),
        ("application/json\n", False),
    ],
)
def test_only_json_media_types_are_accepted(content_type, ok):
    assert (request_body.media_type_problem(content_type) is None) == ok


# --- over the local gateway, into the real API function -----------------------------------


@pytest.fixture
def wave(cloud):
    open_wave(cloud)
    cloud.settle()


def test_deeply_nested_json_is_422_not_a_dropped_connection(cloud, wave):
    got = refused(cloud, "POST", "/participants", NESTED_ATTACK, 422, "ValidationError")
    assert f"more than {DEPTH} levels" in got["error"]["message"]


def test_a_duplicate_key_is_422_and_registers_nobody(cloud, wave):
    """Finding 7: `"nik"` twice registered the second one."""
    body = f'{{"nik": "{nik(1)}", "nik": "{nik(2)}", "full_name": "Siti", "wave": 1}}'
    got = refused(cloud, "POST", "/participants", body, 422, "ValidationError")
    assert 'duplicate key "nik"' in got["error"]["message"]


def test_a_duplicate_key_deep_in_a_purchase_is_422(cloud, wave):
    pid = register(cloud)
    body = json.dumps(purchase_body("ORD1", 400_000)).replace(
        '"price_idr": 400000', '"price_idr": 1, "price_idr": 400000'
    )
    got = refused(cloud, "POST", f"/participants/{pid}/purchases", body, 422, "ValidationError")
    assert 'duplicate key "price_idr"' in got["error"]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_declared_json_is_415(cloud, wave, content_type):
    body = json.dumps({"nik": nik(1), "full_name": "Siti", "wave": 1})
    got = refused(
        cloud, "POST", "/participants", body, 415, "UnsupportedMediaType", headers={"Content-Type": content_type}
    )
    assert "application/json" in got["error"]["message"]


# --- the API function on its own (defence in depth: invoked as API Gateway invokes it) -------


def invoke_api(cloud, method, path, body, headers, resource):
    portal = {"principal_kind": "portal", "principal_id": "web", "principalId": "portal:web"}
    signed = {**headers, **cloud.sign("portal:web", method, path, body)}
    event = gateway.proxy_event(method, path, body, signed, resource=resource, authorizer=portal)
    status, _, got = gateway.decode_response(cloud.invoke(catalogue.API_FUNCTION_KEY, event))
    return status, got


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (NESTED_ATTACK, {"Content-Type": "application/json"}, 422, "ValidationError"),
        (
            f'{{"nik": "{nik(1)}", "nik": "{nik(2)}", "full_name": "Siti", "wave": 1}}',
            {"Content-Type": "application/json"},
            422,
            "ValidationError",
        ),
        ('{"a": NaN}', {"Content-Type": "application/json"}, 422, "ValidationError"),
        ("[]", {"Content-Type": "application/json"}, 422, "ValidationError"),
        (
            json.dumps({"nik": nik(1), "full_name": "Siti", "wave": 1}),
            {"Content-Type": "text/plain"},
            415,
            "UnsupportedMediaType",
        ),
        (json.dumps({"nik": nik(1), "full_name": "Siti", "wave": 1}), {}, 415, "UnsupportedMediaType"),
    ],
    ids=["deep", "duplicate", "nan", "array", "text-plain", "no-content-type"],
)
def test_the_api_function_itself_refuses_bad_bodies(cloud, wave, body, headers, status, code):
    before = table_state(cloud)
    got_status, got = invoke_api(cloud, "POST", "/participants", body, headers, "/participants")
    assert (got_status, got["error"]["code"]) == (status, code), got
    assert got["error"]["request_id"]
    assert table_state(cloud) == before
