"""Runtime settings of a function, from its environment (set by CDK or the local runtime)."""

from __future__ import annotations

import os

from . import catalogue


def table_name() -> str:
    return os.environ.get(catalogue.ENV_TABLE, catalogue.TABLE_NAME)


def state_machine_arn() -> str:
    arn = os.environ.get(catalogue.ENV_STATE_MACHINE)
    if not arn:
        raise RuntimeError(f"{catalogue.ENV_STATE_MACHINE} is not set")
    return arn


def payment_provider() -> str:
    return os.environ.get(catalogue.ENV_PAYMENT_PROVIDER, "fake")
