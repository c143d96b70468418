"""API tests: the local API Gateway (routes, the real authorizer) in front of the real
handlers, on the local cloud; and the pure signing rules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The lifecycle steps (register, buy, ...) are shared with the integration tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from prakerja.local.cloud import LocalCloud  # noqa: E402


@pytest.fixture
def cloud():
    with LocalCloud() as local:
        yield local
