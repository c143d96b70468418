"""The threads moto's interpreter starts carry their work's lane of virtual time.

Replaces `Thread` as `moto.stepfunctions.parser.asl.component.state.exec.execute_state` sees
it (moto 5.2.5 runs every Task's work on a new thread, to wait for it with a timeout),
`threading` as `...component.program.program` sees it (a program, an execution's or a Map
item's, runs on a new thread its caller joins) and `threading` as
`...state_map.iteration.inline_iteration_component` sees it (one thread per Map worker, each
working through its share of the items one after another). With a virtual time
(prakerja/local/virtual_time.py), a Task's and a program's thread work on their caller's lane
(the caller waits for them), so what a Lambda invocation spends is spent by the execution or
the Map worker that waits for it; a Map worker forks its parent's lane, starting where the
Map started and going on from item to item, so `MaxConcurrency` children are that many lanes
side by side. Without a virtual time, nothing changes."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY


def _virtual():
    from ... import virtual_time

    return virtual_time.active()


class SharedLaneThread(threading.Thread):
    """Works on the lane of the thread that started it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        vt = _virtual()
        self._lane = (vt, vt.lane()) if vt is not None else None

    def run(self) -> None:
        if self._lane is not None:
            vt, lane = self._lane
            vt.adopt(lane)
        super().run()


class ForkedLaneThread(SharedLaneThread):
    """Starts a lane of its own at the moment its parent's stands."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self._lane is not None:
            from ...virtual_time import Lane

            vt, parent = self._lane
            self._lane = (vt, Lane(spent=parent.spent))


def install(patch: Patcher) -> None:
    from moto.stepfunctions.parser.asl.component.program import program
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import inline_iteration_component

    require(getattr(execute_state, "Thread", None) is threading.Thread, "moto's execute_state.Thread")
    require(getattr(inline_iteration_component, "threading", None) is threading, "moto's inline iteration threading")
    require(getattr(program, "threading", None) is threading, "moto's program threading")
    patch.replace(execute_state, "Thread", SharedLaneThread)
    patch.replace(program, "threading", SimpleNamespace(Thread=SharedLaneThread))
    patch.replace(inline_iteration_component, "threading", SimpleNamespace(Thread=ForkedLaneThread))
