"""Money is integer rupiah. Anything else is a bug caught at the boundary."""

from __future__ import annotations


def require_rupiah(amount: object, what: str = "amount") -> int:
    # bool is an int subclass; True rupiah is never meant.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"{what} must be integer rupiah, got {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"{what} must not be negative")
    return amount


def format_idr(amount: int) -> str:
    return "Rp" + f"{require_rupiah(amount):,}"
