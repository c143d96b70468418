"""The console against a small real world (console_world.py), and a headless Chromium."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_world import console, world  # noqa: E402


@pytest.fixture(scope="module")
def local_world():
    with world() as w:
        yield w


@pytest.fixture(scope="module")
def served(local_world):
    with console(local_world.cloud) as server:
        yield server


class Client:
    """Flask's test client, addressed as the browser would (127.0.0.1:<port>), with the
    launch's cookie; `form_token(page)` is the CSRF token a page carries."""

    def __init__(self, server, authenticated: bool = True):
        self.server = server
        self.base = f"http://127.0.0.1:{server.port}"
        self.http = server.app.test_client()
        if authenticated:
            assert self.get(f"/?token={server.gate.token}").status_code == 303

    def get(self, path: str, **kw):
        return self.http.get(path, base_url=kw.pop("base_url", self.base), **kw)

    def post(self, path: str, data: dict, **kw):
        return self.http.post(path, data=data, base_url=kw.pop("base_url", self.base), **kw)

    @staticmethod
    def form_token(page) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]

    @staticmethod
    def field(page, name: str) -> str:
        return re.search(rf'name="{name}" value="([^"]+)"', page.get_data(as_text=True))[1]


@pytest.fixture
def client(served):
    return Client(served)
