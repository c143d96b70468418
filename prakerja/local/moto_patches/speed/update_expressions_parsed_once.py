"""A DynamoDB UpdateExpression is parsed once per string, not twice per request.

Replaces the classmethod `moto.dynamodb.parsing.expressions.UpdateExpressionParser.make`,
which (moto 5.2.5) runs a hand-written tokenizer and parser on every UpdateExpression twice
per request (the request checks, then the backend). The tree depends only on the string,
and every consumer either only reads it (`find_clauses`) or deep-copies it before changing
it (`moto.dynamodb.parsing.validators.Validator.__init__`: `deepcopy(expression)`), so one
tree per expression string is kept (at most 10,000: the code has a few dozen templates).
A bad expression raises on every call, as before (failures are not kept)."""

from __future__ import annotations

import inspect
import threading

from ..base import SPEED, Patcher, require

KIND = SPEED


def install(patch: Patcher) -> None:
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    make = UpdateExpressionParser.__dict__.get("make")
    require(
        isinstance(make, classmethod) and "deepcopy(expression)" in inspect.getsource(validators.Validator.__init__),
        "moto's UpdateExpressionParser.make or Validator",
    )
    parsed: dict[str, object] = {}
    lock = threading.Lock()

    def cached_make(cls, expression_str):
        tree = parsed.get(expression_str)
        if tree is None:
            tree = make.__func__(cls, expression_str)  # a bad expression raises here, as before
            with lock:
                if len(parsed) < 10_000:
                    parsed[expression_str] = tree
        return tree

    patch.replace(UpdateExpressionParser, "make", classmethod(cached_make))
