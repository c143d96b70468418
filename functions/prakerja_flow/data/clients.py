"""One boto3 client per AWS service per process, created on first use.

boto3 clients are thread-safe (resources are not) and costly to create, so every
data-access module shares these instead of keeping its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from .. import config

# Throttling (DynamoDB, Step Functions' SendTaskSuccess refill) is met by botocore's
# "standard" retry mode: exponential backoff with full jitter, up to this many attempts;
# what is still refused then is handled by the caller (workflow.Throttled).
RETRIES = Config(retries={"mode": "standard", "max_attempts": config.AWS_CALL_MAX_ATTEMPTS})

_lock = threading.Lock()
_clients: dict[str, Any] = {}
_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> None:
    """Also forget what `hook` holds (data/identifiers.py: its KMS clients and cached data keys)
    whenever the clients are reset."""
    _reset_hooks.append(hook)


def client(service: str) -> Any:  # a botocore client: its methods are made at run time
    with _lock:
        if service not in _clients:
            _clients[service] = boto3.client(service, config=RETRIES)
        return _clients[service]


def reset() -> None:
    """Forgets every client: the local runtime and `prakerja ops` call this when they
    point the process at another endpoint (or a fresh mock world)."""
    with _lock:
        _clients.clear()
    for hook in _reset_hooks:
        hook()
