"""Payment tests: a local disbursement API, a Secrets Manager secret in moto, and the
local stack (for the payout run tests), with the integration tests' small steps."""

from __future__ import annotations

import pytest
from support.payments_fake_server import FakeDisbursementApi  # noqa: E402

from prakerja.local.cloud import LocalCloud  # noqa: E402
from prakerja_flow.payments.fake import FakeProvider  # noqa: E402

REGION = "ap-southeast-3"


@pytest.fixture
def api():
    server = FakeDisbursementApi(
        slow_seconds=2.0
    ).start()  # well past the clients' 1 s read timeout, even on a loaded machine
    yield server
    server.stop()


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def cloud(provider):
    with LocalCloud(provider=provider) as local:
        yield local
