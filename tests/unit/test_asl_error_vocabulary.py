"""The state machines and the code agree on error names (issue 13, item 2).

Every name an ASL Retry or Catch matches is a built-in Step Functions or Lambda error or one of
our error classes: a misspelt name matches nothing and the error it meant fails the execution.
Every business error a task can raise toward the state machine (found by reading the code the
task calls, not from a list kept by hand) is caught by each state that runs the task, or is in
DELIBERATELY_UNCAUGHT with the reason."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import textwrap
from types import FunctionType, ModuleType

import pytest

from prakerja_flow import catalogue
from prakerja_flow.domain import errors

# "Sandbox.": what Lambda's runtime answers for an invocation it stopped (Sandbox.Timedout at
# the function's timeout), matched by the payout run's PayShard Retry.
BUILT_IN_PREFIXES = ("States.", "Lambda.", "Sandbox.")
OUR_ERRORS = {
    name
    for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == errors.__name__
}
DELIBERATELY_UNCAUGHT = {
    # check_bundle_ban refuses an empty basket; verify_purchase always passes exactly one item.
    ("verify_purchase", "InvalidInput"): "unreachable from the task",
    # The execution is started only after the profile is written: a missing profile is damage an
    # operator must see as a failed execution, not a revocation that quietly succeeded.
    ("revoke_participation", "ParticipantNotFound"): "corruption, surfaced as a failure",
}


def _states(definition: dict):
    for name, state in definition["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _states(state[key])


def _asl_files() -> list:
    return sorted(catalogue.LIFECYCLE_ASL.parent.glob("*.asl.json"))


def _function_of(state: dict) -> str | None:
    """The catalogue function a Task state runs, from its ${...FunctionArn} placeholder."""
    text = json.dumps({k: state.get(k) for k in ("Resource", "Parameters")})
    for fn in catalogue.FUNCTIONS:
        if fn.asl_substitution and "${" + fn.asl_substitution + "}" in text:
            return fn.handler
    return None


def _raised(fn: FunctionType, depth: int = 2, seen: set | None = None) -> set[str]:
    """Names of our errors raised in fn's body and, to `depth` calls deep, in the prakerja_flow
    functions it calls."""
    seen = set() if seen is None else seen
    if fn in seen:
        return set()
    seen.add(fn)
    module = importlib.import_module(fn.__module__)
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            target = node.exc.func
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name in OUR_ERRORS:
                names.add(name)
        elif isinstance(node, ast.Call) and depth > 0:
            callee = _resolve(module, node.func)
            if callee is not None:
                names |= _raised(callee, depth - 1, seen)
    return names


def _resolve(module: ModuleType, func: ast.expr) -> FunctionType | None:
    if isinstance(func, ast.Name):
        obj = getattr(module, func.id, None)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        obj = getattr(getattr(module, func.value.id, None), func.attr, None)
    else:
        return None
    if isinstance(obj, FunctionType) and obj.__module__.startswith("prakerja_flow."):
        return inspect.unwrap(obj)
    return None


def _task_errors(handler_path: str) -> tuple[str, set[str]]:
    module_name, name = handler_path.rsplit(".", 1)
    handler = inspect.unwrap(getattr(importlib.import_module(module_name), name))
    return name, _raised(handler, depth=3)


@pytest.mark.parametrize("path", _asl_files(), ids=lambda p: p.name)
def test_every_error_name_in_the_asl_is_built_in_or_ours(path):
    names = {
        n
        for _, s in _states(json.loads(path.read_text()))
        for r in s.get("Retry", []) + s.get("Catch", [])
        for n in r["ErrorEquals"]
    }
    unknown = sorted(n for n in names if not n.startswith(BUILT_IN_PREFIXES) and n not in OUR_ERRORS)
    assert not unknown, f"{path.name} matches errors no code raises: {unknown}"


@pytest.mark.parametrize("path", _asl_files(), ids=lambda p: p.name)
def test_every_business_error_a_task_raises_is_caught_or_deliberately_not(path):
    problems = []
    for state_name, state in _states(json.loads(path.read_text())):
        handler = _function_of(state)
        if state.get("Type") != "Task" or handler is None:
            continue
        task, raised = _task_errors(handler)
        caught = {n for c in state.get("Catch", []) for n in c["ErrorEquals"]}
        if "States.ALL" in caught:
            continue
        problems += [
            f"{state_name} ({task}) does not catch {e}"
            for e in sorted(raised - caught)
            if (task, e) not in DELIBERATELY_UNCAUGHT
        ]
    assert not problems, problems


def test_the_reader_finds_what_a_task_raises():
    """The scan above is only worth something if it sees through the service and domain calls."""
    _, raised = _task_errors("prakerja_flow.handlers.lifecycle.verify_purchase")
    assert {"PurchaseNotFound", "BundleNotAllowed", "InsufficientBalance"} <= raised
    _, raised = _task_errors("prakerja_flow.handlers.lifecycle.check_rating")
    assert "RatingIncomplete" in raised  # raised in domain/rating.py, two calls away


def test_failures_sent_to_waiting_executions_are_caught_by_every_wait():
    """Operators and sweeps fail a waiting task with SendTaskFailure; the Await states must catch it."""
    definition = json.loads(catalogue.LIFECYCLE_ASL.read_text())
    waits = {n: s for n, s in _states(definition) if n.startswith("Await")}
    assert waits
    for name, state in waits.items():
        caught = {n for c in state.get("Catch", []) for n in c["ErrorEquals"]}
        assert errors.ParticipationCancelled.__name__ in caught, name
    assert errors.PurchaseDeadlineExpired.__name__ in {
        n for c in waits["AwaitTrainingPurchase"]["Catch"] for n in c["ErrorEquals"]
    }
