"""A state's JSONPath (InputPath, Parameters' `.$` values, ResultPath) is parsed once per string.

moto 5.2.5's interpreter calls `jsonpath_ng.parse` / `jsonpath_ng.ext.parse` on every
evaluation (`moto.stepfunctions.parser.asl.utils.json_path.extract_json` and
`moto.stepfunctions.parser.asl.component.common.path.result_path.ResultPath`), and each call
builds a new PLY parser and reads its LR tables: 4.4 % of the busy samples of
`simulate --scale 10000` (py-spy, 2026-12-04). The parsed expression depends only on the
string and is only read afterwards (`find` and `update_or_create` change the data, not the
expression), so one expression per string is kept (at most 10,000: the ASL files have a few
hundred paths). A bad path raises on every call, as before (failures are not kept)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..base import SPEED, Patcher, require

KIND = SPEED


def _parsed_once(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    parsed: dict[str, Any] = {}
    lock = threading.Lock()

    def cached(path: str) -> Any:
        expression = parsed.get(path)
        if expression is None:
            expression = parse(path)  # a bad path raises here, as before
            with lock:
                if len(parsed) < 10_000:
                    parsed[path] = expression
        return expression

    return cached


def install(patch: Patcher) -> None:
    import jsonpath_ng
    import jsonpath_ng.ext
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    require(
        json_path.parse is jsonpath_ng.ext.parse and result_path.parse is jsonpath_ng.parse,
        "moto's interpreter calling jsonpath_ng's parse by module name",
    )
    patch.replace(json_path, "parse", _parsed_once(jsonpath_ng.ext.parse))
    patch.replace(result_path, "parse", _parsed_once(jsonpath_ng.parse))
