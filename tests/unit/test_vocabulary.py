"""One vocabulary (issue 13, item 2): the state names the code uses are the ASL's, and shipped
code compares statuses through domain/vocabulary.py, never through a bare string that a typo
would turn into a condition that is never true."""

from __future__ import annotations

import ast
import json
from enum import StrEnum
from pathlib import Path

from prakerja_flow import catalogue
from prakerja_flow.domain import vocabulary as v

SHIPPED = Path(v.__file__).resolve().parents[1]
ENUMS = [o for o in vars(v).values() if isinstance(o, type) and issubclass(o, StrEnum) and o is not StrEnum]
# Values that are also ordinary words in other vocabularies of ours (an item's `type`, a stage's
# key prefix): a comparison with them is not necessarily a status comparison.
AMBIGUOUS = {v.Stage.PURCHASE.value}


LEGACY_ASL = Path(__file__).parents[1] / "support" / "definitions" / "participant_lifecycle_before_0013.asl.json"


def _asl_state_names(path: Path = catalogue.LIFECYCLE_ASL) -> set[str]:
    definition = json.loads(path.read_text())
    return set(definition["States"])


def test_the_lifecycle_states_named_in_code_are_exactly_the_asl_states():
    assert {s.value for s in v.LifecycleState} == _asl_state_names()


def test_the_legacy_states_are_those_the_definition_before_0013_had_and_this_one_has_not():
    assert {s.value for s in v.LegacyLifecycleState} == _asl_state_names(LEGACY_ASL) - _asl_state_names()


def test_every_stage_has_the_state_that_waits_for_it():
    assert set(v.STATE_OF_STAGE) == set(v.Stage)
    assert all(state.value.startswith("Await") for state in v.STATE_OF_STAGE.values())
    assert v.state_of_stage_key("PAYOUT#3") == v.LegacyLifecycleState.AWAIT_PAYOUT
    assert v.stage_key(v.Stage.PAYOUT, 3) == "PAYOUT#3" and v.stage_key(v.Stage.RATING, None) == "RATING"


def test_no_enum_defines_a_value_twice_with_different_meanings_in_one_class():
    for enum in ENUMS:
        assert len({m.value for m in enum}) == len(enum), enum


def _bare_literals(tree: ast.AST, values: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for operand in operands:
                elements = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
                found += [(e.lineno, e.value) for e in elements if isinstance(e, ast.Constant) and e.value in values]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value in values:
            found.append((node.lineno, node.value.value))
    return found


def test_shipped_code_compares_statuses_through_the_vocabulary():
    values = {m.value for enum in ENUMS for m in enum} - AMBIGUOUS
    offenders = {}
    for path in sorted(SHIPPED.rglob("*.py")):
        if path.name == "vocabulary.py":
            continue
        hits = _bare_literals(ast.parse(path.read_text()), values)
        if hits:
            offenders[str(path.relative_to(SHIPPED))] = hits
    assert not offenders, f"use domain/vocabulary.py instead of these literals: {offenders}"


def test_the_literal_finder_finds_what_it_is_for():
    tree = ast.parse('if p["status"] == "ACTIVE": pass\nX = "PAID"\nif s in ("FAILED", "x"): pass\n')
    assert sorted(_bare_literals(tree, {"ACTIVE", "PAID", "FAILED"})) == [(1, "ACTIVE"), (2, "PAID"), (3, "FAILED")]
