"""Step Functions refusing SendTaskSuccess for its rate (ThrottlingException even after
botocore's retries), as a wrapper of the data layer's client: `throttled_send_task_success`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


class SendTaskSuccessThrottled:
    """The real client, except that every SendTaskSuccess is refused (and counted)."""

    def __init__(self, inner: Any, calls: list[dict]):
        self.inner, self.calls = inner, calls

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send_task_success(self, **kwargs: Any) -> dict:
        self.calls.append(kwargs)
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTaskSuccess")


def throttled_send_task_success(monkeypatch: Any) -> tuple[list[dict], Callable[[], None]]:
    """Patches prakerja_flow.data.workflow.client; returns the refused calls and a function
    that gives Step Functions back its rate."""
    from prakerja_flow.data import workflow

    real, calls = workflow.client, []
    monkeypatch.setattr(workflow, "client", lambda: SendTaskSuccessThrottled(real(), calls))
    return calls, lambda: monkeypatch.setattr(workflow, "client", real)
