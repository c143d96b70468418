"""The deployed test provider (handlers/test_provider.py, its table in moto) behind a
local HTTP server that turns requests into function URL events, spoken to by the real
HTTP adapter: it implements the provider contract, with the test account numbers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import boto3
import pytest

from prakerja_flow import catalogue
from prakerja_flow.data import test_provider_store
from prakerja_flow.handlers import test_provider as handler_module
from prakerja_flow.payments import test_accounts as ta
from prakerja_flow.payments.http import HttpProvider
from prakerja_flow.payments.provider import PAID, REJECTED, ProviderMisconfigured, ProviderUnavailable, TransferRequest

NIK = "3171015705900001"
KEY = "test-provider-key"


class FunctionUrl:
    """What a Lambda function URL does: HTTP request -> payload 2.0 event -> handler."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._invoke("GET")

            def do_POST(self):
                self._invoke("POST")

            def _invoke(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                url = urlparse(self.path)
                event = {
                    "rawPath": url.path,
                    "rawQueryString": url.query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length).decode() if length else None,
                    "isBase64Encoded": False,
                    "requestContext": {"http": {"method": method, "path": url.path}},
                }
                answer = handler_module.handler(event, None)
                data = answer["body"].encode()
                try:
                    self.send_response(answer["statusCode"])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller timed out first

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"  # a function URL ends in "/"


@pytest.fixture
def function_url(aws, monkeypatch):
    boto3.client("dynamodb").create_table(**test_provider_store.table_definition("test-provider"))
    arn = boto3.client("secretsmanager").create_secret(Name="provider", SecretString=KEY)["ARN"]
    monkeypatch.setenv(test_provider_store.ENV_TABLE, "test-provider")
    monkeypatch.setenv(catalogue.ENV_PAYMENT_PROVIDER_SECRET, arn)
    monkeypatch.setenv(handler_module.ENV_TIMEOUT_SECONDS, "0.6")
    monkeypatch.setattr(handler_module, "_provider", None)
    url = FunctionUrl()
    yield url
    url.server.shutdown()
    url.server.server_close()


@pytest.fixture
def provider(function_url):
    return HttpProvider(
        base_url=function_url.url,
        api_key=lambda: KEY,
        connect_timeout=0.5,
        read_timeout=0.3,
        max_attempts=2,
        sleep=lambda s: None,
    )


def transfer(number: str, key: str = "P1:POST_TRAINING:1", amount: int = 600_000) -> TransferRequest:
    return TransferRequest(key, "P1", "POST_TRAINING", 1, amount, "OVO", number)


@pytest.mark.parametrize("account", ta.TEST_ACCOUNTS, ids=lambda a: a.behaviour)
def test_the_inquiry_of_each_test_number_is_the_tables(provider, account):
    assert provider.inquire("BANK", account.number, NIK) == ta.inquiry(account.number)


def test_a_good_number_is_paid_once_and_replayed(provider):
    first = provider.transfer(transfer(ta.number_for(ta.OWN_VERIFIED)))
    assert first.status == PAID and first.transfer_id.startswith("TPV")
    assert provider.transfer(transfer(ta.number_for(ta.OWN_VERIFIED))) == first
    assert provider.status("P1:POST_TRAINING:1") == first and provider.status("P1:POST_TRAINING:2") is None
    with pytest.raises(ProviderUnavailable, match="different request"):
        provider.transfer(transfer(ta.number_for(ta.OWN_VERIFIED), amount=50_000))
    lines = provider.statement("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
    assert [line["status"] for line in lines] == [PAID, "DUPLICATE"]
    assert {line["transfer_id"] for line in lines} == {first.transfer_id}


def test_the_rejecting_number_is_rejected_by_the_provider(provider):
    result = provider.transfer(transfer(ta.number_for(ta.PROVIDER_REJECTS)))
    assert result.status == REJECTED and "test account" in result.reason


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        (ta.FROZEN, "account_frozen"),
        (ta.NUMBER_CHANGED, "phone_number_changed"),
        (ta.LIMIT_REACHED, "balance_limit_reached"),
        (ta.PROVIDER_REJECTS, None),
    ],
)
def test_a_rejection_carries_the_contracts_code_over_http(provider, behaviour, code):
    result = provider.transfer(transfer(ta.number_for(behaviour)))
    assert (result.status, result.code) == (REJECTED, code) and "test account" in result.reason
    assert provider.status("P1:POST_TRAINING:1") == result  # the code is kept with the outcome


def test_the_timeout_number_really_times_out_then_status_says_paid(provider):
    with pytest.raises(ProviderUnavailable, match="outcome unknown"):
        provider.transfer(transfer(ta.number_for(ta.TIMES_OUT)))
    assert provider.status("P1:POST_TRAINING:1").status == PAID


def test_an_unknown_route_or_a_wrong_key_is_misconfigured(function_url, provider):
    wrong_url = HttpProvider(base_url=function_url.url + "v1", api_key=lambda: KEY, sleep=lambda s: None)
    with pytest.raises(ProviderMisconfigured, match="without /v1"):
        wrong_url.inquire("BANK", ta.number_for(ta.OWN_VERIFIED), NIK)
    wrong_key = HttpProvider(base_url=function_url.url, api_key=lambda: "not-the-key", sleep=lambda s: None)
    with pytest.raises(ProviderMisconfigured, match="credentials"):
        wrong_key.inquire("BANK", ta.number_for(ta.OWN_VERIFIED), NIK)


def test_bad_requests_are_400s_that_change_nothing(function_url):
    import urllib3

    pool = urllib3.PoolManager()
    auth = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "K1"}
    for body in (b"not json", json.dumps({"amount_idr": "600000"}).encode(), json.dumps([1]).encode()):
        answer = pool.request("POST", function_url.url.rstrip("/") + "/v1/disbursements", body=body, headers=auth)
        assert answer.status == 400 and json.loads(answer.data)["code"]
    assert test_provider_store.get_transfer("K1") is None
