"""One settings model for a function's environment; shipped code never reads the deployment
catalogue (the CDK app's and the local runtime's list), only its own environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from prakerja_flow import settings

SHIPPED = Path(settings.__file__).resolve().parent
DEPLOY_ONLY = {"catalogue.py"}


def test_defaults_when_nothing_is_set(monkeypatch):
    for name in ("TABLE_NAME", "STATE_MACHINE_ARN", "PAYMENT_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    current = settings.current()
    assert current.table_name == settings.DEFAULT_TABLE_NAME and current.payment_provider == "fake"
    with pytest.raises(RuntimeError, match="STATE_MACHINE_ARN is not set"):
        settings.state_machine_arn()


def test_read_at_call_time(monkeypatch):
    monkeypatch.setenv(settings.ENV_TABLE, "dev-prakerja-flow")
    monkeypatch.setenv(settings.ENV_PAYMENT_PROVIDER, "http")
    monkeypatch.setenv(settings.ENV_TEST_PROVIDER_TIMEOUT_SECONDS, "2.5")
    assert settings.table_name() == "dev-prakerja-flow" and settings.payment_provider() == "http"
    assert settings.current().test_provider_timeout_seconds == 2.5


def test_validated_once_per_set_of_values_and_never_stale(monkeypatch):
    monkeypatch.setenv(settings.ENV_TABLE, "one-table")
    first = settings.current()
    assert settings.current() is first  # the same values: no second validation
    monkeypatch.setenv(settings.ENV_TABLE, "other-table")
    assert settings.current().table_name == "other-table"
    monkeypatch.setenv(settings.ENV_TABLE, "x")
    for _ in range(2):  # a wrong value is refused every time, not cached as an answer
        with pytest.raises(RuntimeError, match="TABLE_NAME"):
            settings.current()
    monkeypatch.setenv(settings.ENV_TABLE, "one-table")
    assert settings.current() is first


@pytest.mark.parametrize(
    "name,value", [("PAYMENT_PROVIDER", "paypal"), ("TEST_PROVIDER_TIMEOUT_SECONDS", "-1"), ("TABLE_NAME", "x")]
)
def test_a_wrong_setting_names_itself(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=name):
        settings.current()


def test_shipped_code_does_not_import_the_deployment_catalogue():
    importers = []
    for path in sorted(SHIPPED.rglob("*.py")):
        if path.name in DEPLOY_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n == "catalogue" or n.endswith(".catalogue") for n in names):
                importers.append(str(path.relative_to(SHIPPED)))
    assert not importers, importers
