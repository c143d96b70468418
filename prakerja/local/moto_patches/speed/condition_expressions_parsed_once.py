"""A DynamoDB ConditionExpression is parsed once per (expression, names, values).

Replaces `moto.dynamodb.comparisons.ConditionExpressionParser.parse`, which (moto 5.2.5)
runs a hand-written lexer and parser on every ConditionExpression twice per write (the
request checks, then the backend): 8 % of busy samples in `simulate`. The result (an `Op`
tree, and the names and values the expression used) depends only on the expression, its
names and its values; the tree is only read afterwards (`expr(item)` builds new values),
so one tree per (expression, names, values) is kept, parsed from private copies of the
names and values (the request's dicts are not kept; at most 20,000, since values make keys
unique per item). Failures are not kept: a bad expression raises on every call, as before.
`parse` and `__init__` are pinned by a hash of their source."""

from __future__ import annotations

import copy
import json
import threading

from ..base import SPEED, Patcher, require_sources

KIND = SPEED


def install(patch: Patcher) -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    require_sources(
        {
            "ConditionExpressionParser.parse": (ConditionExpressionParser.parse, "5c9b63c5f49ed5d5"),
            "ConditionExpressionParser.__init__": (ConditionExpressionParser.__init__, "4a3f092d6b0f1a26"),
        }
    )
    original = ConditionExpressionParser.parse
    parsed: dict[tuple, tuple] = {}
    lock = threading.Lock()

    def parse(self):
        try:
            key = (
                self.condition_expression,
                json.dumps(self.expression_attribute_names, sort_keys=True),
                json.dumps(self.expression_attribute_values, sort_keys=True),
            )
        except (TypeError, ValueError):  # not plain JSON: parse as moto does
            return original(self)
        found = parsed.get(key)
        if found is None:
            private = ConditionExpressionParser(
                self.condition_expression,
                copy.deepcopy(self.expression_attribute_names),
                copy.deepcopy(self.expression_attribute_values),
            )
            found = (original(private), list(private.expr_attr_names_found), list(private.expr_attr_values_found))
            with lock:
                if len(parsed) >= 20_000:
                    parsed.clear()
                parsed[key] = found
        op, names_found, values_found = found
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return op

    patch.replace(ConditionExpressionParser, "parse", parse)
