"""The moto layer's shape: one module per patch, each saying what it replaces, each failing
loudly on a moto it does not know, each reversible; the speed switch; the self-check."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import moto_scenarios as scenarios
import pytest

from prakerja.local import moto_patches
from prakerja.local.moto_patches import FIDELITY, SPEED, MotoHookMissing, fidelity, speed
from prakerja.local.moto_patches.base import Patcher, argument, argument_positions


def modules_in(package) -> set:
    return {
        importlib.import_module(f"{package.__name__}.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
        if not m.name.startswith("_")
    }


def test_every_patch_module_is_listed_once_in_its_kind():
    assert modules_in(fidelity) == set(fidelity.PATCHES) and all(m.KIND == FIDELITY for m in fidelity.PATCHES)
    assert modules_in(speed) == set(speed.PATCHES) and all(m.KIND == SPEED for m in speed.PATCHES)
    assert len(moto_patches.PATCHES) == len(set(moto_patches.PATCHES)) == len(fidelity.PATCHES) + len(speed.PATCHES)


@pytest.mark.parametrize("module", moto_patches.PATCHES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_patch_names_the_moto_code_it_replaces_and_why(module):
    doc = inspect.getdoc(module) or ""
    assert "`moto." in doc, "the docstring names the replaced moto code (`moto.module.function`)"
    assert "5.2" in doc and len(doc.split()) > 40, "and says what moto does there and why it is replaced"
    assert list(inspect.signature(module.install).parameters) == ["patch"]


def test_every_patch_is_installed_and_can_be_undone_and_redone():
    moto_patches.install()
    if moto_patches.speed_patches_enabled():
        assert moto_patches.installed() == [moto_patches._name(m) for m in moto_patches.PATCHES]
    from moto.dynamodb.models.table import Table
    from moto.stepfunctions.responses import StepFunctionResponse

    def patched_by_us():
        return [
            f.__module__.startswith("prakerja.local.moto_patches")
            for f in (Table.query, StepFunctionResponse.stop_execution)
        ]

    assert patched_by_us() == [moto_patches.speed_patches_enabled(), True]
    with moto_patches.without(*moto_patches.PATCHES):
        assert moto_patches.installed() == []
        moto_patches.install()  # LocalCloud.start calls it: what `without` leaves out stays out
        assert moto_patches.installed() == []
        assert Table.query.__module__ == "moto.dynamodb.models.table"
        assert StepFunctionResponse.stop_execution.__module__ == "moto.stepfunctions.responses"
    assert patched_by_us() == [moto_patches.speed_patches_enabled(), True]


def test_patcher_restores_own_and_inherited_attributes():
    class Base:
        def f(self):
            return "base"

    class Child(Base):
        def g(self):
            return "child"

    patch = Patcher()
    assert patch.replace(Child, "f", lambda self: "new f") is Base.f
    patch.replace(Child, "g", lambda self: "new g")
    assert (Child().f(), Child().g()) == ("new f", "new g")
    patch.undo()
    assert (Child().f(), Child().g()) == ("base", "child") and "f" not in Child.__dict__


def test_arguments_are_read_where_the_signature_puts_them():
    """The guard of the query patch once checked that `index_name` was a parameter but read
    it as args[7]: a moto that moved it would have been misread silently."""

    def moved(self, index_name, hash_key=None, *, hash_key_conditions=None):
        return index_name

    at = argument_positions(moved, ("hash_key", "index_name"))
    assert at == {"index_name": 0, "hash_key": 1}
    assert argument(("gsi1", "P#1"), {}, "index_name", at["index_name"]) == "gsi1"
    assert argument((), {"index_name": "gsi2"}, "index_name", at["index_name"]) == "gsi2"
    with pytest.raises(MotoHookMissing, match="hash_key_conditions"):
        argument_positions(moved, ("hash_key_conditions",))  # keyword-only: no position to read
    from moto.dynamodb.models.table import Table

    with moto_patches.without(speed.narrowed_queries):  # moto 5.2.5's own signature
        assert argument_positions(Table.query, ("hash_key", "index_name")) == {"hash_key": 0, "index_name": 7}


def breaks_query_signature(monkeypatch):
    from moto.dynamodb.models.table import Table

    monkeypatch.setattr(Table, "query", lambda self, hash_key, **kwargs: None)


def breaks_condition_parser(monkeypatch):
    from moto.dynamodb.comparisons import ConditionExpressionParser

    monkeypatch.setattr(ConditionExpressionParser, "parse", lambda self: None)


def breaks_json_path_parse(monkeypatch):
    from moto.stepfunctions.parser.asl.utils import json_path

    monkeypatch.setattr(json_path, "parse", lambda path: None)


def breaks_lambda_invoke(monkeypatch):
    from moto.awslambda.responses import LambdaResponse

    monkeypatch.setattr(LambdaResponse, "invoke", lambda self: None)


def implements_redrive(monkeypatch):
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    monkeypatch.setattr(StepFunctionsParserBackend, "redrive_execution", lambda self, arn: None, raising=False)


def breaks_stop(monkeypatch):
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    monkeypatch.delattr(Environment, "set_stop")


def breaks_serialiser(monkeypatch):
    from moto.core import serialize

    monkeypatch.setattr(serialize, "DEFAULT_ALIAS_PROVIDERS", [serialize.NoAlias])


@pytest.mark.parametrize(
    "module,change",
    [
        (speed.narrowed_queries, breaks_query_signature),
        (speed.condition_expressions_parsed_once, breaks_condition_parser),
        (speed.json_paths_parsed_once, breaks_json_path_parse),
        (speed.direct_lambda_invoke, breaks_lambda_invoke),
        (speed.serialiser_aliases, breaks_serialiser),
        (fidelity.redrive_execution, implements_redrive),
        (fidelity.stop_execution, breaks_stop),
    ],
    ids=lambda v: getattr(v, "__name__", "").rsplit(".", 1)[-1],
)
def test_a_patch_refuses_a_moto_it_does_not_know(monkeypatch, module, change):
    with moto_patches.without(module):
        change(monkeypatch)
        patch = Patcher()
        try:
            with pytest.raises(MotoHookMissing, match="moto"):
                module.install(patch)
        finally:
            patch.undo()
        monkeypatch.undo()


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )


def test_the_switch_leaves_every_speed_patch_out():
    code = "from prakerja.local import moto_patches; moto_patches.install(); print(moto_patches.installed())"
    off = run_python(code, PRAKERJA_MOTO_SPEED_PATCHES="0")
    on = run_python(code, PRAKERJA_MOTO_SPEED_PATCHES="1")
    assert off.returncode == on.returncode == 0, off.stderr + on.stderr
    assert eval(off.stdout) == [moto_patches._name(m) for m in fidelity.PATCHES]  # noqa: S307 - our own list's repr
    assert eval(on.stdout) == [moto_patches._name(m) for m in moto_patches.PATCHES]  # noqa: S307


@pytest.mark.skipif(
    not moto_patches.speed_patches_enabled(), reason="PRAKERJA_MOTO_SPEED_PATCHES=0: no serialiser patch"
)
def test_the_serialiser_self_check_compares_every_fast_answer_with_moto(monkeypatch):
    """PRAKERJA_MOTO_PATCH_SELFCHECK=1 (read when the serialiser patches are installed) makes
    every fast answer be checked against moto's own: a moto that answers differently is caught."""
    from moto.core import serialize

    def reinstall_serialiser_patches():
        with moto_patches.without(speed.serialiser_aliases, speed.serialiser_attribute_values):
            pass  # installed again on the way out, reading the environment then

    plain = scenarios.run(scenarios.SCENARIOS["dynamodb_serialisation"])
    monkeypatch.setenv("PRAKERJA_MOTO_PATCH_SELFCHECK", "1")
    reinstall_serialiser_patches()
    try:
        assert scenarios.run(scenarios.SCENARIOS["dynamodb_serialisation"]) == plain
        monkeypatch.setattr(serialize.NoAlias, "get_alias", lambda self, key: key + "-renamed")  # moto now disagrees
        disagreed = [
            parsed
            for _, kind, parsed, _ in scenarios.run(scenarios.SCENARIOS["dynamodb_serialisation"])
            if kind == "raised"
        ]
        assert disagreed and all("serialiser patch disagrees with moto" in d["message"] for d in disagreed)
    finally:
        monkeypatch.undo()
        reinstall_serialiser_patches()
    assert scenarios.run(scenarios.SCENARIOS["dynamodb_serialisation"]) == plain
