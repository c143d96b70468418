"""Calls the moto-patch equivalence tests make twice, with a patch and without it, and
record what a client sees: the parsed answer or the error, and the raw response body.

Each scenario is deterministic (fixed names, keys and order; one worker per execution),
so two runs can be compared as they are, after dropping what differs between any two runs
of real AWS too (request ids, dates, task tokens). The scenarios themselves are in
scenarios_dynamodb.py and scenarios_step_functions.py."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

import boto3
from botocore.exceptions import ClientError

from prakerja.local.cloud import MOTO_CONFIG, REGION

__all__ = ["REGION", "SCENARIOS", "Recorder", "moto_world", "normalised", "run"]

VOLATILE_KEYS = frozenset({"ResponseMetadata", "timestamp", "LastModified"})  # and every *Date, *DateTime
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalised(value):
    """`value` without what differs between two runs of the same calls."""
    if isinstance(value, dict):
        return {
            k: normalised(v)
            for k, v in value.items()
            if k not in VOLATILE_KEYS and not k.endswith(("Date", "DateTime"))
        }
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, str):
        return _UUID.sub("<uuid>", value)
    if isinstance(value, bytes):
        return normalised(value.decode("utf-8", errors="replace"))
    return value


class Recorder:
    """Runs boto3 calls; keeps (operation, outcome, parsed answer or error, raw body)."""

    def __init__(self) -> None:
        self.seen: list[tuple] = []
        self._raw: list[bytes] = []

    def client(self, service: str):
        client = boto3.client(service, region_name=REGION)
        client.meta.events.register("after-call", self._after_call)
        return client

    def _after_call(self, http_response, **_) -> None:
        self._raw.append(http_response.content)

    def __call__(self, client, operation: str, **kwargs):
        self._raw.clear()
        try:
            out = getattr(client, operation)(**kwargs)
            payload = out.get("Payload")
            if payload is not None and hasattr(payload, "read"):
                out = {**out, "Payload": payload.read()}
            outcome = ("ok", out)
        except ClientError as error:
            outcome = ("error", error.response)
        except Exception as error:  # noqa: BLE001 - moto lets some bad requests escape as Python errors
            outcome = ("raised", {"type": type(error).__name__, "message": str(error)})
        raw = self._raw[-1] if self._raw else b""
        self.seen.append((operation, outcome[0], normalised(outcome[1]), raw))
        return outcome[1] if outcome[0] == "ok" else None

    def answers(self) -> list[tuple]:
        """What was seen, the raw bodies decoded and normalised (JSON bodies carry dates)."""
        out = []
        for operation, kind, parsed, raw in self.seen:
            try:
                body = normalised(json.loads(raw)) if raw else None
            except ValueError:
                body = normalised(raw)
            out.append((operation, kind, parsed, body))
        return out


@contextmanager
def moto_world():
    from moto import mock_aws

    with mock_aws(config=MOTO_CONFIG):
        yield


def run(scenario) -> list[tuple]:
    """The scenario in a fresh moto world: what its client saw."""
    recorder = Recorder()
    with moto_world():
        scenario(recorder)
    return recorder.answers()


import scenarios_dynamodb as dynamodb  # noqa: E402 - the scenarios take a Recorder
import scenarios_step_functions as step_functions  # noqa: E402

SCENARIOS = {
    "dynamodb_queries": dynamodb.queries,
    "dynamodb_transactions": dynamodb.transactions,
    "dynamodb_expressions": dynamodb.expressions,
    "dynamodb_serialisation": dynamodb.serialisation,
    "step_functions": step_functions.run,
}
