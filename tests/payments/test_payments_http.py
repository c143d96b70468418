"""payments/http.py against a real HTTP server on 127.0.0.1 with injected faults, and
the API key from a Secrets Manager secret (moto)."""

from __future__ import annotations

import json
import socket

import boto3
import pytest

from prakerja_flow import catalogue
from prakerja_flow.payments import get_provider
from prakerja_flow.payments import http as http_provider
from prakerja_flow.payments.http import HttpProvider, SecretApiKey
from prakerja_flow.payments.provider import PAID, REJECTED, ProviderMisconfigured, ProviderUnavailable, TransferRequest

NIK = "3171015705900001"
OTHER_NIK = "3171015705900002"


def request(key: str = "P1:POST_TRAINING:1", amount: int = 600_000, number: str = "0812") -> TransferRequest:
    return TransferRequest(key, "P1", "POST_TRAINING", 1, amount, "OVO", number)


@pytest.fixture
def secret_arn(aws, monkeypatch):
    sm = boto3.client("secretsmanager")
    arn = sm.create_secret(Name="prakerja/payment-provider", SecretString=json.dumps({"api_key": "test-key"}))["ARN"]
    monkeypatch.setenv(catalogue.ENV_PAYMENT_PROVIDER_SECRET, arn)
    return arn


class CountingSecrets:
    """A Secrets Manager client (moto's) that counts GetSecretValue calls."""

    def __init__(self):
        self.inner, self.calls = boto3.client("secretsmanager"), 0

    def get_secret_value(self, **kwargs):
        self.calls += 1
        return self.inner.get_secret_value(**kwargs)


@pytest.fixture
def secrets(secret_arn):
    return CountingSecrets()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(api, secret_arn, secrets, sleeps):
    def build(**overrides) -> HttpProvider:
        options = {
            "base_url": api.url,
            "api_key": SecretApiKey(secret_arn, client_factory=lambda: secrets),
            "connect_timeout": 0.5,
            "read_timeout": 1.0,
            "max_attempts": 3,
            "sleep": sleeps.append,
        }
        return HttpProvider(**{**options, **overrides})

    return build


def test_inquiry_uses_the_api_key_from_secrets_manager_fetched_once(api, make, secrets):
    api.open_account("OVO", "0812", NIK, kyc_verified=False)
    provider = make()
    first = provider.inquire("OVO", "0812", NIK)
    assert (first.found, first.holder_matches, first.kyc_verified, first.active) == (True, True, False, True)
    assert provider.inquire("OVO", "0812", OTHER_NIK).holder_matches is False
    assert provider.inquire("OVO", "0999", NIK).found is False
    assert secrets.calls == 1  # cached
    assert all(headers["Authorization"] == "Bearer test-key" for _, _, headers in api.requests)


def test_transfer_pays_once_and_a_repeat_returns_the_first_outcome(api, make):
    api.open_account("OVO", "0812", NIK)
    provider = make()
    first = provider.transfer(request())
    again = provider.transfer(request())
    assert first.status == PAID and again == first
    assert len(api.paid_lines()) == 1
    assert [h["Idempotency-Key"] for m, p, h in api.requests if m == "POST" and p == "/v1/disbursements"] == [
        "P1:POST_TRAINING:1"
    ] * 2
    assert provider.status("P1:POST_TRAINING:1") == first
    assert provider.status("P1:POST_TRAINING:2") is None


def test_rejected_transfer_is_a_result_with_the_providers_reason(api, make):
    result = make().transfer(request(number="0000"))
    assert result.status == REJECTED and "not found or inactive" in result.reason
    assert api.paid_lines() == []


def test_5xx_is_retried_with_exponential_backoff_and_pays_once(api, make, sleeps):
    api.open_account("OVO", "0812", NIK)
    api.fail_next("503", "500")
    assert make().transfer(request()).status == PAID
    assert api.count("POST", "/v1/disbursements") == 3
    assert len(sleeps) == 2  # backoff doubles; jittered within [ceiling/2, ceiling]
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4
    assert len(api.paid_lines()) == 1


def test_5xx_on_every_attempt_is_outcome_unknown_not_a_failure(api, make, sleeps):
    api.open_account("OVO", "0812", NIK)
    api.fail_next("503", "503", "503")
    with pytest.raises(ProviderUnavailable, match="after 3 attempts"):
        make().transfer(request())
    assert api.count("POST", "/v1/disbursements") == 3 and api.paid_lines() == []


def test_accepted_then_timed_out_transfer_is_unknown_then_settled_by_status(api, make):
    api.open_account("OVO", "0812", NIK)
    provider = make()
    api.fail_next("accept_then_slow")
    with pytest.raises(ProviderUnavailable, match="outcome unknown"):
        provider.transfer(request())
    assert api.count("POST", "/v1/disbursements") == 1  # a read timeout on a transfer is not retried
    assert len(api.paid_lines()) == 1  # the provider did pay
    settled = provider.status("P1:POST_TRAINING:1")
    assert settled.status == PAID and settled.transfer_id == api.paid_lines()[0]["transfer_id"]
    assert provider.transfer(request()) == settled  # sending again with the key moves no money
    assert len(api.paid_lines()) == 1


def test_accepted_then_dropped_connection_is_unknown(api, make):
    api.open_account("OVO", "0812", NIK)
    api.fail_next("accept_then_drop")
    with pytest.raises(ProviderUnavailable):
        make().transfer(request())
    assert len(api.paid_lines()) == 1


def test_slow_reads_are_retried_for_inquiries_and_status(api, make):
    api.open_account("OVO", "0812", NIK)
    api.fail_next("slow")
    assert make().inquire("OVO", "0812", NIK).found is True
    assert api.count("POST", "/v1/accounts/inquiry") == 2
    api.fail_next("slow", "slow", "slow")
    with pytest.raises(ProviderUnavailable):
        make().status("P1:POST_TRAINING:1")


def test_connection_refused_is_retried_then_unavailable(make, sleeps):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ProviderUnavailable, match="could not connect"):
        make(base_url=f"http://127.0.0.1:{port}").transfer(request())
    assert len(sleeps) == 2


def test_a_key_in_flight_or_reused_with_another_body_is_unknown_never_failed(api, make):
    api.open_account("OVO", "0812", NIK)
    provider = make()
    api.fail_next("in_flight")
    with pytest.raises(ProviderUnavailable, match="still processing"):
        provider.transfer(request())
    provider.transfer(request())
    with pytest.raises(ProviderUnavailable, match="different request"):
        provider.transfer(request(amount=50_000))  # same key, different amount: the provider refuses
    assert len(api.paid_lines()) == 1


def test_pending_is_not_an_outcome(api, make):
    api.open_account("OVO", "0812", NIK)
    provider = make()
    api.fail_next("pending")
    with pytest.raises(ProviderUnavailable, match="PENDING"):
        provider.transfer(request())
    assert provider.status("P1:POST_TRAINING:1").status == PAID


def test_a_rotated_secret_is_fetched_again_on_401(api, make, secrets, secret_arn):
    api.open_account("OVO", "0812", NIK)
    provider = make()
    provider.inquire("OVO", "0812", NIK)
    boto3.client("secretsmanager").put_secret_value(
        SecretId=secret_arn, SecretString=json.dumps({"api_key": "rotated"})
    )
    api.api_key = "rotated"
    assert provider.inquire("OVO", "0812", NIK).found is True
    assert secrets.calls == 2
    api.api_key = "something-else"
    with pytest.raises(ProviderMisconfigured, match="refused our credentials"):
        provider.inquire("OVO", "0812", NIK)


def test_statement_pages_through_the_window(api, make):
    api.open_account("OVO", "0812", NIK)
    provider = make()
    for n in range(1, 6):
        provider.transfer(request(key=f"P1:POST_TRAINING:{n}"))
    api.clock = "2020-09-01T00:00:00Z"
    provider.transfer(request(key="P1:SURVEY:1"))
    lines = provider.statement("2020-08-01T00:00:00Z", "2020-08-02T00:00:00Z")
    assert [line["idempotency_key"] for line in lines] == [f"P1:POST_TRAINING:{n}" for n in range(1, 6)]


def test_get_provider_selects_http_from_the_environment(api, secret_arn, monkeypatch):
    monkeypatch.setenv(catalogue.ENV_PAYMENT_PROVIDER, "http")
    monkeypatch.setenv(catalogue.ENV_PAYMENT_PROVIDER_URL, api.url + "/")
    http_provider.reset_shared()
    try:
        provider = get_provider()
        assert isinstance(provider, HttpProvider) and provider.base_url == api.url
        assert get_provider() is provider
        api.open_account("BANK", "123", NIK)
        assert provider.inquire("BANK", "123", NIK).holder_matches is True
    finally:
        http_provider.reset_shared()


def test_missing_configuration_is_named(monkeypatch):
    monkeypatch.delenv(catalogue.ENV_PAYMENT_PROVIDER_URL, raising=False)
    monkeypatch.delenv(catalogue.ENV_PAYMENT_PROVIDER_SECRET, raising=False)
    with pytest.raises(RuntimeError, match=catalogue.ENV_PAYMENT_PROVIDER_URL):
        HttpProvider(api_key=lambda: "k")
    with pytest.raises(RuntimeError, match=catalogue.ENV_PAYMENT_PROVIDER_SECRET):
        SecretApiKey()


def test_the_inquiry_sends_the_nik_and_gets_only_whether_it_matches(api, make):
    """Less personal data leaves the provider: the answer says whether the asker holds the
    account, never whose it is."""
    api.open_account("OVO", "0812", NIK)
    answer = make().inquire("OVO", "0812", OTHER_NIK)
    assert (answer.found, answer.holder_matches) == (True, False)
    assert not hasattr(answer, "holder_nik")


def test_a_base_url_ending_in_v1_is_misconfigured_never_account_not_found(api, make):
    """docs/deploy.md once gave .../v1 while the adapter appends /v1/... itself: every
    request went to /v1/v1/..., and the provider's 404 for that unknown route read as
    'account not found', blaming every participant."""
    api.open_account("OVO", "0812", NIK)
    provider = make(base_url=api.url + "/v1")
    with pytest.raises(ProviderMisconfigured, match="without /v1"):
        provider.inquire("OVO", "0812", NIK)
    with pytest.raises(ProviderMisconfigured):
        provider.status("P1:POST_TRAINING:1")  # a 404 here would otherwise mean "never received: send again"
    with pytest.raises(ProviderMisconfigured):
        provider.transfer(request())
    assert api.paid_lines() == []


def test_only_the_contracts_404_codes_are_answers(api, make):
    provider = make()
    assert provider.inquire("OVO", "0999", NIK).found is False  # 404 account_not_found
    assert provider.status("P9:POST_TRAINING:1") is None  # 404 disbursement_not_found


def test_a_403_is_misconfigured_credentials(api, make, monkeypatch):
    monkeypatch.setattr(api, "_route", lambda *args: (403, {"message": "Forbidden"}))
    with pytest.raises(ProviderMisconfigured, match="credentials"):
        make().inquire("OVO", "0812", NIK)
