"""A state's Retry interval is waited in virtual time while one is in force.

Replaces the `time` module as `moto.stepfunctions.parser.asl.component.common.retry.retrier_decl`
sees it: moto 5.2.5 sleeps each retry interval (`time.sleep(interval_seconds)`) on the wall
clock. With a virtual time (prakerja/local/virtual_time.py) the interval is spent on the
execution thread's lane instead, as the seconds AWS would wait; without one, moto sleeps as
before."""

from __future__ import annotations

import time
from types import SimpleNamespace

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY


def _sleep(seconds: float) -> None:
    from ... import virtual_time

    vt = virtual_time.active()
    if vt is None:
        time.sleep(seconds)
    else:
        vt.spend(seconds)


def install(patch: Patcher) -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    require(getattr(retrier_decl, "time", None) is time, "moto's retrier_decl.time")
    patch.replace(retrier_decl, "time", SimpleNamespace(sleep=_sleep))
