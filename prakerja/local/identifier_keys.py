"""The two KMS keys of ADR 0018, created in the local world as the data stack creates them
(infra/stacks/data.py): the identifiers key (symmetric, envelope encryption) and the NIK
lookup key (HMAC_256), each with its alias, so that `prakerja ops` finds them by name."""

from __future__ import annotations

from typing import Any

from prakerja_flow import catalogue, settings

IDENTIFIERS_ALIAS = "identifiers"
NIK_LOOKUP_ALIAS = "nik-lookup"
NIK_LOOKUP_VERSION = "v1"


def alias(name: str, prefix: str = "") -> str:
    """alias/<env->prakerja-flow-<name>: the names CDK gives the keys (DeployEnv.prefixed)."""
    return f"alias/{prefix}{catalogue.SERVICE_NAME}-{name}"


def create(kms: Any, prefix: str = "") -> dict[str, str]:
    """Creates both keys; the function settings that name them."""
    identifiers = kms.create_key(Description="participants' direct identifiers (ADR 0018)")["KeyMetadata"]["Arn"]
    lookup = kms.create_key(
        Description=f"NIK lookup HMAC key {NIK_LOOKUP_VERSION} (ADR 0018)",
        KeySpec="HMAC_256",
        KeyUsage="GENERATE_VERIFY_MAC",
    )["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=alias(IDENTIFIERS_ALIAS, prefix), TargetKeyId=identifiers)
    kms.create_alias(AliasName=alias(f"{NIK_LOOKUP_ALIAS}-{NIK_LOOKUP_VERSION}", prefix), TargetKeyId=lookup)
    return {
        settings.ENV_IDENTIFIERS_KEY_ARN: identifiers,
        settings.ENV_NIK_LOOKUP_KEY_ARN: lookup,
        settings.ENV_NIK_LOOKUP_KEY_VERSION: NIK_LOOKUP_VERSION,
    }
