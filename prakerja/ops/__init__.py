"""`prakerja ops`: operator tooling against AWS or the local stack."""

from .commands import ops_app

__all__ = ["ops_app"]
