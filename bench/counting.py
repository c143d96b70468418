"""Counting what a lifecycle costs on the local stack: Step Functions transitions from
the real execution history, Lambda invocations from the in-process invoker, DynamoDB
calls from a botocore hook on the shared client, Step Functions API calls from a hook
on the shared workflow client, and API Gateway requests from LocalCloud.request.

Capacity-unit estimates (on-demand, items < 1 KB, as all items here are):
- GetItem: strongly consistent 1 RRU, eventually consistent 0.5 RRU.
- Query: per call, ceil(bytes read / 4 KB) RRU (x0.5 if eventually consistent); items
  here are < 1 KB, so we charge ceil(items returned / 4), at least 1 per call.
  GSI queries are always eventually consistent: 0.5 per 4 KB.
- PutItem / UpdateItem / DeleteItem: 1 WRU, also when the condition fails (AWS charges
  a failed conditional write).
- TransactWriteItems: 2 WRU per Put/Update/Delete, 2 RRU per ConditionCheck.
- TransactGetItems: 2 RRU per item. BatchGetItem: 1 RRU per key (strong) / 0.5.
- Scan: like Query, ceil(items / 4).
- GSI writes: an item written with gsi1pk set costs one more WRU in the index (and a
  removal too). We do not see which writes touch the index from the call alone, so
  GSI WRUs are estimated separately: +1 WRU for each write whose request sets or
  removes gsi1pk/gsi1sk (visible in the UpdateExpression / Item).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from prakerja_flow import catalogue
from prakerja_flow.data import dynamo, workflow

GSI_ATTRS = ("gsi1pk", "gsi1sk")


def _touches_gsi(params: dict) -> bool:
    text = str(params.get("UpdateExpression", "")) + " " + " ".join(params.get("Item", {}).keys())
    return any(a in text for a in GSI_ATTRS)


@dataclass
class DynamoCounter:
    calls: Counter = field(default_factory=Counter)
    rru: float = 0.0
    wru: float = 0.0
    gsi_wru: float = 0.0
    by_op_rru: Counter = field(default_factory=Counter)
    by_op_wru: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_call(self, model=None, params=None, parsed=None, **_: Any) -> None:
        op = model.name
        params = params or {}
        parsed = parsed or {}
        rru = wru = gsi = 0.0
        if op == "GetItem":
            rru = 1.0 if params.get("ConsistentRead") else 0.5
        elif op in ("Query", "Scan"):
            items = int(parsed.get("Count", len(parsed.get("Items", []))))
            units = max(1, math.ceil(items / 4))
            strong = params.get("ConsistentRead") and not params.get("IndexName")
            rru = units * (1.0 if strong else 0.5)
        elif op in ("PutItem", "UpdateItem", "DeleteItem"):
            wru = 1.0
            gsi = 1.0 if _touches_gsi(params) else 0.0
        elif op == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                kind, body = next(iter(entry.items()))
                if kind == "ConditionCheck":
                    rru += 2.0
                else:
                    wru += 2.0
                    gsi += 1.0 if _touches_gsi(body) else 0.0
        elif op == "TransactGetItems":
            rru = 2.0 * len(params.get("TransactItems", []))
        elif op == "BatchGetItem":
            for spec in params.get("RequestItems", {}).values():
                rru += len(spec.get("Keys", [])) * (1.0 if spec.get("ConsistentRead") else 0.5)
        elif op == "BatchWriteItem":
            wru = float(sum(len(v) for v in params.get("RequestItems", {}).values()))
        with self._lock:
            self.calls[op] += 1
            self.rru += rru
            self.wru += wru
            self.gsi_wru += gsi
            self.by_op_rru[op] += rru
            self.by_op_wru[op] += wru

    def snapshot(self) -> dict:
        with self._lock:
            return {"calls": dict(self.calls), "rru": self.rru, "wru": self.wru, "gsi_wru": self.gsi_wru}


@dataclass
class SfnCounter:
    calls: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_call(self, model=None, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1


class Meter:
    """Attach to a started LocalCloud. Counts per phase: `with meter.phase("jobs"): ...`."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.ddb = {"api": DynamoCounter(), "task": DynamoCounter(), "job": DynamoCounter(), "other": DynamoCounter()}
        self.sfn = {"api": SfnCounter(), "task": SfnCounter(), "job": SfnCounter(), "other": SfnCounter()}
        self.api_requests: Counter = Counter()
        self._phase = threading.local()
        # The API parameters are seen at before-parameter-build; the response at after-call.
        dynamo.client().meta.events.register("before-parameter-build.dynamodb.*", _stash_params)
        dynamo.client().meta.events.register("after-call.dynamodb.*", self._on_ddb)
        workflow.client().meta.events.register("after-call.states.*", self._on_sfn)
        self._wrap_cloud()

    # Which Lambda is running decides whom a call is charged to. Invocations are
    # serialised by the invoker's lock, so "the function running now" is well defined:
    # we read it from a wrapper around invoker._call_locked.
    def _wrap_cloud(self) -> None:
        from prakerja.local import invoker

        original_call = invoker._call_locked
        task_functions = {s.function_name for s in catalogue.functions_of(catalogue.LIFECYCLE)}
        job_functions = _job_functions()
        meter = self

        def charged(function_name, *args, **kwargs):
            kind = "task" if function_name in task_functions else "job" if function_name in job_functions else "api"
            previous = getattr(meter._phase, "kind", None)
            meter._phase.kind = kind
            try:
                return original_call(function_name, *args, **kwargs)
            finally:
                meter._phase.kind = previous

        invoker._call_locked = charged
        self._restore = lambda: setattr(invoker, "_call_locked", original_call)
        original_request = self.cloud.request

        def request(method, path, *args, **kwargs):
            self.api_requests[_route(method, path)] += 1
            return original_request(method, path, *args, **kwargs)

        self.cloud.request = request

    def close(self) -> None:
        self._restore()

    def _kind(self) -> str:
        return getattr(self._phase, "kind", None) or "other"

    def _on_ddb(self, **kwargs: Any) -> None:
        params = (kwargs.get("context") or {}).get("bench_params")
        self.ddb[self._kind()].on_call(model=kwargs["model"], params=params, parsed=kwargs.get("parsed"))

    def _on_sfn(self, **kwargs: Any) -> None:
        self.sfn[self._kind()].on_call(**kwargs)


def _stash_params(params=None, context=None, **_: Any) -> None:
    if context is not None:
        context["bench_params"] = dict(params or {})


def _route(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if parts[0] == "waves":
        return f"{method} /waves/{{n}}/{parts[-1]}"
    if parts[0] == "participants":
        shape = ["participants"]
        if len(parts) > 1:
            shape.append("{id}")
        if len(parts) > 2:
            shape.append(parts[2])
        if len(parts) > 3:
            shape.append("{n}" if parts[2] == "surveys" else "{purchase}")
        if len(parts) > 4:
            shape.append(parts[4])
        return f"{method} /" + "/".join(shape)
    return f"{method} {path}"


def transitions(cloud, participant_id: str) -> dict:
    if participant_id not in {e["name"] for e in cloud.executions()}:
        # No execution (ADR 0015: it starts at the first certificate): nothing billed, and the
        # profile says how the participant ended (a never-buyer is revoked by the sweep).
        from prakerja_flow.data import participants as profiles
        from prakerja_flow.domain.participation import ENDED_STATE

        status = profiles.require(participant_id)["status"]
        final = ENDED_STATE.get(status, status)
        return {"billed_transitions": 0, "states": [], "final": f"{final} (no execution)", "status": "NONE"}
    events = cloud.history(participant_id)
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    last = events[-1]["type"] if events else ""
    return {
        "billed_transitions": len(entered),
        "states": entered,
        "final": entered[-1] if entered else None,
        "status": "SUCCEEDED" if last == "ExecutionSucceeded" else "FAILED" if last == "ExecutionFailed" else "RUNNING",
        "lambda_task_scheduled": sum(
            1 for e in events if e["type"] == "TaskScheduled" or e["type"] == "LambdaFunctionScheduled"
        ),
    }


def _job_functions() -> set[str]:
    """Scheduled work: the job functions and the payout run's steps."""
    return {s.function_name for s in catalogue.FUNCTIONS if s.schedule is not None} | {
        s.function_name for s in catalogue.functions_of(catalogue.PAYOUT_RUN)
    }


def lambda_split(counts: dict[str, int]) -> dict[str, int]:
    task_functions = {s.function_name for s in catalogue.functions_of(catalogue.LIFECYCLE)}
    job_functions = _job_functions()
    out = {"state_machine_tasks": 0, "api": 0, "scheduled_jobs": 0}
    for name, n in counts.items():
        if name in task_functions:
            out["state_machine_tasks"] += n
        elif name in job_functions:
            out["scheduled_jobs"] += n
        else:
            out["api"] += n
    return out
