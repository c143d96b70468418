"""Waves (gelombang): registration happens only while a wave is open."""

from __future__ import annotations

from .errors import IllegalTransition, WaveClosed
from .vocabulary import WaveStatus

OPEN, CLOSED = WaveStatus.OPEN, WaveStatus.CLOSED


def next_wave_status(current: str | None, action: str) -> str:
    """Operators open and close waves; a closed wave may be reopened (wave IV was
    held back in 2020 and opened later)."""
    if action not in ("open", "close"):
        raise IllegalTransition(f"unknown wave action {action!r}")
    target = OPEN if action == "open" else CLOSED
    if current == target:
        raise IllegalTransition(f"wave is already {target}")
    if current is None and action == "close":
        raise IllegalTransition("a wave that was never opened cannot be closed")
    return target


def require_open(number: int, status: str | None) -> None:
    if status != OPEN:
        raise WaveClosed(f"wave {number} is not open for registration")
