"""Rules for the API's free-text fields (names, operators' actor and reason, reviews,
survey answers), applied by the request models (api_models.py). Pure.

Every text is NFC-normalised, so that one name has one spelling in the table, and may
contain no character of the Unicode categories below: control characters (Cc: NUL,
escape sequences that drive terminals, ...), format characters (Cf: the right-to-left
override that reverses what a reader sees, zero-width spaces, byte order marks),
line and paragraph separators (Zl, Zp), surrogates (Cs: no UTF-8 can store them),
private-use (Co) and unassigned (Cn) code points. A multi-line text may also contain
line feeds and tabs; a CR LF or a lone CR becomes a line feed. Leading and trailing
whitespace is trimmed, and a required text that is empty after trimming is refused.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from pydantic_core import PydanticCustomError

KINDS = {
    "Cc": "control",
    "Cf": "format",
    "Zl": "line separator",
    "Zp": "paragraph separator",
    "Cs": "surrogate",
    "Co": "private-use",
    "Cn": "unassigned",
}
# A multi-line text's allowed controls (a CR is allowed only to be turned into a line feed).
LINE_BREAKS_AND_TABS = frozenset("\r\n\t")


@dataclass(frozen=True)
class TextRule:
    what: str  # for messages: "a name"
    max_chars: int
    min_chars: int = 1  # after trimming; 0: may be empty
    allowed: frozenset[str] = frozenset()  # characters of the refused kinds that this text may hold


def forbidden(value: str, allowed: frozenset[str] = frozenset()) -> tuple[int, str, str] | None:
    """(1-based position, character, category) of the first character the rules refuse."""
    for position, char in enumerate(value, 1):
        category = unicodedata.category(char)
        if category in KINDS and char not in allowed:
            return position, char, category
    return None


def refuse_forbidden(value: object, rule: TextRule) -> object:
    """Before the string validation (which would refuse a surrogate without saying which
    character): PydanticCustomError, a 422 naming the character and where it is."""
    found = forbidden(value, rule.allowed) if isinstance(value, str) else None
    if found:
        position, char, category = found
        name = unicodedata.name(char, "")
        shown = f"U+{ord(char):04X}" + (f" {name}" if name else "")
        raise PydanticCustomError(
            "text_character",
            "character {position} is {shown}, a {kind} character ({category}); {what} may not contain "
            "control, format or separator characters{extra}",
            {
                "position": position,
                "shown": shown,
                "kind": KINDS[category],
                "category": category,
                "what": rule.what,
                "extra": " (line breaks and tabs are allowed)" if rule.allowed else "",
            },
        )
    return value


def normalise(value: str, rule: TextRule) -> str:
    """The text as stored: NFC, line breaks as line feeds, trimmed, within its lengths."""
    text = unicodedata.normalize("NFC", value)
    if "\r" in rule.allowed:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    if not text and rule.min_chars:
        raise PydanticCustomError("text_empty", "{what} may not be empty or only whitespace", {"what": rule.what})
    if len(text) < rule.min_chars:
        raise PydanticCustomError(
            "text_too_short",
            "{what} must have at least {min} characters besides leading and trailing whitespace",
            {"what": rule.what, "min": rule.min_chars},
        )
    if len(text) > rule.max_chars:
        raise PydanticCustomError(
            "text_too_long",
            "{what} may have at most {max} characters (after NFC normalisation)",
            {"what": rule.what, "max": rule.max_chars},
        )
    return text
