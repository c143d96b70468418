"""API tests: the local API Gateway (routes, the real authorizer) in front of the real
handlers, on the local cloud; and the pure signing rules."""

from __future__ import annotations

import pytest

# The lifecycle steps (register, buy, ...) are shared with the integration tests.
from prakerja.local.cloud import LocalCloud  # noqa: E402


@pytest.fixture
def cloud():
    with LocalCloud() as local:
        yield local
