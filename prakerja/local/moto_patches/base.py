"""What every moto patch shares: the error a changed moto raises, reversible replacements,
and the checks a patch makes before it touches moto.

A patch module has a docstring naming the moto code it replaces and why, a `KIND`
("fidelity": moto answers as AWS does; "speed": the same answers, faster) and an
`install(patch: Patcher)` that checks moto's shape (raising MotoHookMissing when it
differs from moto 5.2.5) and then makes its replacements through `patch`, which can undo
them: the equivalence tests run the same calls with a patch and without it, in one process.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any

FIDELITY = "fidelity"
SPEED = "speed"
_ABSENT = object()


class MotoHookMissing(RuntimeError):
    """The installed moto is not the one a patch (or the in-process Lambda hook) knows."""


def require(condition: object, what: str) -> None:
    """Fails loudly when moto no longer has the shape a patch relies on."""
    if not condition:
        raise MotoHookMissing(f"{what} changed; the pinned moto==5.2.5 is required")


def source_digest(obj: Any) -> str:
    """sha256 (16 hex digits) of an object's source: a patch that stands in for moto code
    line by line pins that code, so any change in moto fails at install time."""
    return hashlib.sha256(inspect.getsource(getattr(obj, "__wrapped__", obj)).encode()).hexdigest()[:16]


def require_sources(expected: dict[str, tuple[Any, str]]) -> None:
    """`expected`: name -> (moto object, its source digest in moto 5.2.5)."""
    changed = sorted(name for name, (obj, digest) in expected.items() if source_digest(obj) != digest)
    require(not changed, f"moto code this patch stands in for ({', '.join(changed)})")


def argument_positions(fn: Callable, names: Iterable[str]) -> dict[str, int]:
    """Where each named parameter sits among `fn`'s positional arguments after `self`, so
    a wrapper reads the argument moto passed, whether by position or by keyword."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    missing = [n for n in names if n not in positional]
    require(not missing, f"{fn.__qualname__} (no parameter {', '.join(missing)})")
    return {n: positional.index(n) for n in names}


def argument(args: tuple, kwargs: dict, name: str, position: int) -> Any:
    return args[position] if len(args) > position else kwargs.get(name)


class Patcher:
    """Makes one patch's replacements and remembers how to undo them, last first."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def replace(self, owner: Any, name: str, value: Any) -> Any:
        """Sets `owner.name = value`; returns what was there (as `getattr` sees it)."""
        own = owner.__dict__ if isinstance(owner, type) else vars(owner)
        previous = own.get(name, _ABSENT)
        current = getattr(owner, name, None)
        setattr(owner, name, value)

        def undo() -> None:
            if previous is _ABSENT:
                if name in (owner.__dict__ if isinstance(owner, type) else vars(owner)):
                    delattr(owner, name)
            else:
                setattr(owner, name, previous)

        self._undo.append(undo)
        return current

    def on_undo(self, fn: Callable[[], None]) -> None:
        self._undo.append(fn)

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()
