"""`prakerja ops`: operator tooling against AWS or the local stack."""

from . import act_commands, clock_commands, identity_commands  # noqa: F401 - register the commands that act
from .commands import ops_app

__all__ = ["ops_app"]
