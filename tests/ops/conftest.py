"""`prakerja ops` against the local stack, in-process (moto intercepts boto3, so no endpoint is needed)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from prakerja.local.cloud import LocalCloud
from prakerja_flow.data import clients
from prakerja_flow.payments.fake import FakeProvider


@pytest.fixture
def cloud(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with LocalCloud(provider=FakeProvider()) as local:
        yield local
    clients.reset()


@pytest.fixture
def ops():
    """Runs `prakerja ops ...`; returns (exit code, stdout, stderr, parsed JSON or None)."""
    from prakerja.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        result = runner.invoke(app, ["ops", *args], input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        out = result.stdout
        parsed = None
        if "--json" in args:
            parsed = json.loads(out)
        return result.exit_code, out, result.stderr, parsed

    return run
