"""Integration tests: the real ASL on moto's interpreter, the real handlers in-process."""

from __future__ import annotations

import pytest

from prakerja.local.cloud import LocalCloud
from prakerja_flow.payments.fake import FakeProvider


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def cloud(provider):
    # One fresh world per test; stop() drains running executions so their threads
    # cannot write into the next test's tables.
    with LocalCloud(provider=provider) as local:
        yield local
