"""A function's runtime settings: one pydantic model read from its environment, which CDK
(infra/) and the local runtime set. The names live here, not in the deployment catalogue:
shipped code reads its environment without knowing how it was deployed."""

from __future__ import annotations

import functools
import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Environment variable names.
ENV_TABLE = "TABLE_NAME"
ENV_STATE_MACHINE = "STATE_MACHINE_ARN"
ENV_PAYMENT_PROVIDER = "PAYMENT_PROVIDER"
ENV_PAYMENT_PROVIDER_SECRET = "PAYMENT_PROVIDER_SECRET_ARN"
# Base URL of the HTTP disbursement API (payments/http.py), e.g. https://api.provider.example
ENV_PAYMENT_PROVIDER_URL = "PAYMENT_PROVIDER_BASE_URL"
# The test payment provider of development stacks (handlers/test_provider.py).
ENV_TEST_PROVIDER_TABLE = "TEST_PROVIDER_TABLE"
ENV_TEST_PROVIDER_OTHER_ACCOUNTS = "TEST_PROVIDER_OTHER_ACCOUNTS"
ENV_TEST_PROVIDER_TIMEOUT_SECONDS = "TEST_PROVIDER_TIMEOUT_SECONDS"
# "true" on a development stack deployed with -c programmeClock=true (handlers/clock_source.py).
ENV_PROGRAMME_CLOCK = "PROGRAMME_CLOCK"
# Personal data (ADR 0018): the customer managed key that encrypts participants' direct
# identifiers, and the KMS HMAC key (with its version) that the NIK guard is keyed by. A
# rotation of the HMAC key sets the new one as current and the old one as previous until
# `prakerja ops identifiers migrate` has moved every guard (docs/operations.md).
ENV_IDENTIFIERS_KEY_ARN = "IDENTIFIERS_KEY_ARN"
ENV_NIK_LOOKUP_KEY_ARN = "NIK_LOOKUP_KEY_ARN"
ENV_NIK_LOOKUP_KEY_VERSION = "NIK_LOOKUP_KEY_VERSION"
ENV_NIK_LOOKUP_PREVIOUS_KEY_ARN = "NIK_LOOKUP_PREVIOUS_KEY_ARN"
ENV_NIK_LOOKUP_PREVIOUS_KEY_VERSION = "NIK_LOOKUP_PREVIOUS_KEY_VERSION"
IDENTIFIER_SETTINGS = (
    ENV_IDENTIFIERS_KEY_ARN,
    ENV_NIK_LOOKUP_KEY_ARN,
    ENV_NIK_LOOKUP_KEY_VERSION,
    ENV_NIK_LOOKUP_PREVIOUS_KEY_ARN,
    ENV_NIK_LOOKUP_PREVIOUS_KEY_VERSION,
)

DEFAULT_TABLE_NAME = "prakerja-flow"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    table_name: str = Field(DEFAULT_TABLE_NAME, alias=ENV_TABLE, min_length=3, max_length=255)
    state_machine_arn: str | None = Field(None, alias=ENV_STATE_MACHINE)
    payment_provider: Literal["fake", "http"] = Field("fake", alias=ENV_PAYMENT_PROVIDER)
    payment_provider_secret_arn: str | None = Field(None, alias=ENV_PAYMENT_PROVIDER_SECRET)
    payment_provider_base_url: str | None = Field(None, alias=ENV_PAYMENT_PROVIDER_URL)
    test_provider_table: str | None = Field(None, alias=ENV_TEST_PROVIDER_TABLE)
    test_provider_other_accounts: str | None = Field(None, alias=ENV_TEST_PROVIDER_OTHER_ACCOUNTS)
    test_provider_timeout_seconds: float | None = Field(None, alias=ENV_TEST_PROVIDER_TIMEOUT_SECONDS, gt=0, le=900)
    programme_clock: bool = Field(False, alias=ENV_PROGRAMME_CLOCK, strict=False)
    identifiers_key_arn: str | None = Field(None, alias=ENV_IDENTIFIERS_KEY_ARN, pattern=r"^arn:aws[a-z-]*:kms:")
    nik_lookup_key_arn: str | None = Field(None, alias=ENV_NIK_LOOKUP_KEY_ARN)
    nik_lookup_key_version: str = Field("v1", alias=ENV_NIK_LOOKUP_KEY_VERSION, pattern=r"^v[0-9]{1,3}$")
    # "v0" names the unkeyed SHA-256 guard of before ADR 0018 (no key): set while migrating.
    nik_lookup_previous_key_arn: str | None = Field(None, alias=ENV_NIK_LOOKUP_PREVIOUS_KEY_ARN)
    nik_lookup_previous_key_version: str | None = Field(
        None, alias=ENV_NIK_LOOKUP_PREVIOUS_KEY_VERSION, pattern=r"^v[0-9]{1,3}$"
    )


_ALIASES = {field.alias for field in Settings.model_fields.values()}


def current() -> Settings:
    """Read now, not at import: the local runtime and tests set the environment per world.
    An unset or empty variable takes the default; a wrong one stops the function with the
    variable's name (a deployment mistake, never a participant's). Validated once per set of
    values (every data-layer call asks for the table name: 66,000 times in a 300-participant
    simulation); Settings is frozen, so the one instance is safe to share."""
    return _validated(tuple(sorted((name, value) for name in _ALIASES if (value := os.environ.get(name)))))


@functools.lru_cache(maxsize=32)
def _validated(values: tuple[tuple[str, str], ...]) -> Settings:
    try:
        return Settings.model_validate(dict(values))
    except ValidationError as error:
        raise RuntimeError(f"invalid function settings: {error}") from None  # not cached: raised again


def table_name() -> str:
    return current().table_name


def state_machine_arn() -> str:
    arn = current().state_machine_arn
    if not arn:
        raise RuntimeError(f"{ENV_STATE_MACHINE} is not set")
    return arn


def payment_provider() -> str:
    return current().payment_provider


def payment_provider_secret_arn() -> str | None:
    return current().payment_provider_secret_arn


def payment_provider_base_url() -> str | None:
    return current().payment_provider_base_url


def identifiers_key_arn() -> str:
    arn = current().identifiers_key_arn
    if not arn:
        raise RuntimeError(f"{ENV_IDENTIFIERS_KEY_ARN} is not set")
    return arn


def nik_lookup_keys() -> list[tuple[str, str | None]]:
    """(version, KMS key) of the NIK guard, the current first, then the previous one while a
    rotation is under way. Version v0 has no key: the unkeyed hash of before ADR 0018."""
    s = current()
    if not s.nik_lookup_key_arn:
        raise RuntimeError(f"{ENV_NIK_LOOKUP_KEY_ARN} is not set")
    found: list[tuple[str, str | None]] = [(s.nik_lookup_key_version, s.nik_lookup_key_arn)]
    if s.nik_lookup_previous_key_version and s.nik_lookup_previous_key_version != s.nik_lookup_key_version:
        found.append((s.nik_lookup_previous_key_version, s.nik_lookup_previous_key_arn))
    return found
