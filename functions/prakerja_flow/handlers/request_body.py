"""What a request body must be before any model sees it, in one place for the API
function (handlers/api.py, before routing and as the resolver's JSON deserializer), the
local gateway (prakerja/local/gateway.py) and the WAF rule in front of the deployed API
(infra/stacks/api_waf.py, JSON_MEDIA_TYPE):

- declared as JSON: `Content-Type: application/json`, optionally `; charset=utf-8`
  (415 UnsupportedMediaType otherwise);
- one JSON object, strict JSON (no NaN/Infinity, nothing after it), nested at most
  config.REQUEST_JSON_MAX_DEPTH deep, checked by a scan that does not recurse before the
  parser (which does) runs; no duplicate key at any depth (the last one would win
  silently); no integer literal longer than config.REQUEST_JSON_MAX_INTEGER_DIGITS
  (422 ValidationError otherwise, the message saying which rule).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .. import config

# The methods whose requests carry a body (read, typed and checked here; none for the rest).
BODY_METHODS = ("POST", "PUT", "PATCH")
# Applied to the lowercased Content-Type with fullmatch here and as a WAF regex (after the
# LOWERCASE text transformation) in front of the deployed API: one pattern for both.
JSON_MEDIA_TYPE = r"^application/json[ \t]*(;[ \t]*charset=utf-8[ \t]*)?$"
_JSON_MEDIA_TYPE = re.compile(JSON_MEDIA_TYPE)
# A string literal (escapes included, unterminated to the end) or a bracket: what the depth
# scan looks at. The regex engine is iterative, so the scan's stack does not grow.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*+"?|[\[\]{}]', re.S)


class Refused(ValueError):
    """A body (or its media type) the API does not take: `status`, `code` and `message`
    go into the one error shape."""

    status, code = 422, "ValidationError"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnsupportedMediaType(Refused):
    status, code = 415, "UnsupportedMediaType"


class NotJson(Refused):
    """Not (strict) JSON."""


class NotAnObject(Refused):
    """JSON, but not an object."""


class TooDeep(Refused):
    """Nested deeper than config.REQUEST_JSON_MAX_DEPTH."""


class DuplicateKey(Refused):
    """An object names the same key twice."""


class NumberTooLong(Refused):
    """An integer literal longer than config.REQUEST_JSON_MAX_INTEGER_DIGITS."""


def media_type_problem(content_type: str | None) -> str | None:
    if content_type is not None and _JSON_MEDIA_TYPE.fullmatch(content_type.lower()):
        return None
    shown = "no Content-Type" if not content_type else f"Content-Type {json.dumps(content_type[:100])}"
    return f"request bodies must be sent as Content-Type: application/json (optionally ; charset=utf-8), not {shown}"


def check_depth(text: str) -> None:
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > config.REQUEST_JSON_MAX_DEPTH:
                raise TooDeep(
                    f"request body is nested more than {config.REQUEST_JSON_MAX_DEPTH} levels deep "
                    f"(at character {token.start() + 1})"
                )
        elif bracket in "]}":
            depth -= 1


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise DuplicateKey(f"request body has a duplicate key {json.dumps(duplicate)[:80]}: send each key once")
    return found


def _integer(literal: str) -> int:
    if len(literal.lstrip("-")) > config.REQUEST_JSON_MAX_INTEGER_DIGITS:
        raise NumberTooLong(f"request body has an integer of more than {config.REQUEST_JSON_MAX_INTEGER_DIGITS} digits")
    return int(literal)


def _constant(name: str) -> Any:
    raise NotJson(f"request body is not valid JSON: {name} is not a JSON number")


def parse(text: str) -> Any:
    """The JSON value of `text` under the rules above, or a Refused saying which rule."""
    check_depth(text)
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=_integer, parse_constant=_constant)
    except Refused:
        raise
    except ValueError as error:  # JSONDecodeError, and int() limits on other number forms
        raise NotJson(f"request body is not valid JSON: {error}"[:300]) from None


def parse_object(text: str) -> dict[str, Any]:
    value = parse(text)
    if not isinstance(value, dict):
        raise NotAnObject("request body must be a JSON object")
    return value
