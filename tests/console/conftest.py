"""The console against a small real world (console_world.py), and a headless Chromium.
Helpers live in console_world.py, not here: another directory's conftest is also `conftest`."""

from __future__ import annotations

import pytest
from console_world import Client, console, world  # noqa: E402


@pytest.fixture(scope="module")
def local_world():
    with world() as w:
        yield w


@pytest.fixture(scope="module")
def served(local_world):
    with console(local_world.cloud) as server:
        yield server


@pytest.fixture
def client(served):
    return Client(served)
