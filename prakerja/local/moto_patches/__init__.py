"""The local runtime's changes to moto 5.2.5, one module per patch.

- `fidelity/`: moto answers as AWS does (a used task token is refused; StopExecution
  aborts; RedriveExecution exists; DescribeExecution has the redrive fields;
  GetExecutionHistory pages and reverses). Always installed.
- `speed/`: the same answers, faster (narrowed DynamoDB queries, item-level transaction
  rollback, one parsed definition, expression and serialiser shortcuts, in-process calls
  without the HTTP round trip, ...). `PRAKERJA_MOTO_SPEED_PATCHES=0` leaves every one of
  them out, so the whole suite can run on moto's own code: a moto upgrade is then done in
  two steps (the suite without speed patches first, then each speed patch re-checked).

Each module's docstring names the moto code it replaces and why; each checks at install
time that moto still has that shape and raises MotoHookMissing otherwise. Every patch can
be undone (`without`), which the equivalence tests in tests/local use to run the same
calls on patched and unpatched moto in one process."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from . import fidelity, speed
from .base import FIDELITY, SPEED, MotoHookMissing, Patcher

__all__ = [
    "FIDELITY",
    "SPEED",
    "MotoHookMissing",
    "PATCHES",
    "SPEED_SWITCH",
    "install",
    "installed",
    "speed_patches_enabled",
    "without",
]

SPEED_SWITCH = "PRAKERJA_MOTO_SPEED_PATCHES"
PATCHES: tuple[ModuleType, ...] = fidelity.PATCHES + speed.PATCHES
_lock = threading.RLock()
_installed: dict[ModuleType, Patcher] = {}  # in installation order
_left_out: set[ModuleType] = set()  # by `without`, while its block runs


def speed_patches_enabled() -> bool:
    return os.environ.get(SPEED_SWITCH, "1") != "0"


def install() -> None:
    """Installs every fidelity patch, and every speed patch unless PRAKERJA_MOTO_SPEED_PATCHES=0.
    Idempotent; a patch already installed stays as it is."""
    with _lock:
        for module in PATCHES:
            if module.KIND == SPEED and not speed_patches_enabled():
                continue
            if module not in _installed and module not in _left_out:
                _install(module)


def installed() -> list[str]:
    """Names of the installed patches (e.g. "speed.narrowed_queries"), in installation order."""
    with _lock:
        return [_name(m) for m in _installed]


@contextmanager
def without(*modules: ModuleType) -> Iterator[None]:
    """Runs the block on moto without these patches (install() leaves them out meanwhile).
    Every installed patch is undone, last first, and the others installed again in order,
    so wrappers of the same moto function stay stacked as they were; afterwards the same
    happens the other way."""
    with _lock:
        before = list(_installed)
        _undo_all()
        _left_out.update(modules)
        try:
            for module in before:
                if module not in modules:
                    _install(module)
        except BaseException:
            _left_out.difference_update(modules)
            raise
    try:
        yield
    finally:
        with _lock:
            _undo_all()
            _left_out.difference_update(modules)
            for module in before:
                _install(module)


def _install(module: ModuleType) -> None:
    patch = Patcher()
    try:
        module.install(patch)
    except BaseException:
        patch.undo()  # a patch that failed half-way leaves moto as it was
        raise
    _installed[module] = patch


def _undo_all() -> None:
    for module in reversed(list(_installed)):
        _installed.pop(module).undo()


def _name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 2)[-2] + "." + module.__name__.rsplit(".", 1)[-1]
