"""botocore's service models are read from disk once per process, not once per mock world.

`moto.core.models.MockAWS.start` (moto 5.2.5) patches `boto3.DEFAULT_SESSION` to None for
the mock's lifetime, so the first `boto3.client` in every new world (each test's LocalCloud,
each equivalence scenario) builds a new botocore Session, and its new Loader parses each
service's JSON model again: DynamoDB, Step Functions, Lambda, IAM, Secrets Manager,
Scheduler, the endpoint rules and partitions, about 200 ms of JSON decoding per world.

Replaces `botocore.loaders.Loader.load_service_model` and `Loader.load_data_with_path`, whose
cache (botocore's `instance_cache`) lives on one Loader, with one cache per process keyed by
what the answer depends on: the loader's search paths, its extras types and the arguments.
Within one session botocore already hands the same model objects to every client it
builds, so sharing them between sessions shares nothing a client could change. Errors
(an unknown service, a missing file) are never cached: each call raises them anew."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..base import SPEED, Patcher, require

KIND = SPEED
_MISSING = object()


def install(patch: Patcher) -> None:
    from botocore import loaders

    loader = loaders.Loader
    require(
        all(callable(getattr(loader, name, None)) for name in ("load_service_model", "load_data_with_path"))
        and isinstance(getattr(loader(), "search_paths", None), list),
        "botocore's Loader (the session moto's MockAWS.start makes new)",
    )
    shared: dict[tuple, Any] = {}
    lock = threading.Lock()

    def once_per_process(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def cached(self: Any, *args: Any, **kwargs: Any) -> Any:
            key = (name, tuple(self.search_paths), tuple(self.extras_types), args, tuple(sorted(kwargs.items())))
            with lock:
                found = shared.get(key, _MISSING)
            if found is _MISSING:
                found = original(self, *args, **kwargs)
                with lock:
                    found = shared.setdefault(key, found)
            return found

        return cached

    for name in ("load_service_model", "load_data_with_path"):
        patch.replace(loader, name, once_per_process(name, getattr(loader, name)))
