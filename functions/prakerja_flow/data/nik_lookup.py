"""Finding a participant by NIK without the NIK in the table (ADR 0018): the NIK guard's key
is an HMAC-SHA-256 of the NIK computed by KMS (GenerateMac) with an HMAC key that never
leaves KMS. An unkeyed hash would not do: the NIK has a few times 10^12 plausible values
(province, regency, district, birth date, sequence), so anyone holding the table could
hash them all. With the key in KMS every guess is one audited, rate-limited KMS request.

Each guard names its key version; while a rotation is under way the previous version is
looked up too, and registration checks it, so one person still holds one card."""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings
from . import clients, keys

MAC_ALGORITHM = "HMAC_SHA_256"
# Domain separation: the same HMAC key must never answer for another kind of value.
MESSAGE_PREFIX = "prakerja-nik:"


@dataclass(frozen=True)
class NikGuards:
    """The guard partition keys of one NIK: where it is written now, and every version a
    lookup or the uniqueness check must also consult (the current one first)."""

    current: str
    version: str  # of `current`
    all: tuple[str, ...]


def mac(nik: str, key_arn: str | None, version: str) -> str:
    """The NIK's guard hash under one key version (hex)."""
    if version == keys.LEGACY_NIK_VERSION:
        return keys.legacy_nik_hash(nik)
    if not key_arn:
        raise RuntimeError(f"NIK lookup key {version} has no KMS key ({settings.ENV_NIK_LOOKUP_PREVIOUS_KEY_ARN})")
    out = clients.client("kms").generate_mac(
        KeyId=key_arn, Message=f"{MESSAGE_PREFIX}{nik}".encode(), MacAlgorithm=MAC_ALGORITHM
    )
    return bytes(out["Mac"]).hex()


def guards(nik: str) -> NikGuards:
    """One KMS request per key version in use (one, outside a rotation)."""
    versions = settings.nik_lookup_keys()
    found = tuple(keys.nik_guard(version, mac(nik, arn, version)) for version, arn in versions)
    return NikGuards(current=found[0], version=versions[0][0], all=found)


def current_version() -> str:
    return settings.nik_lookup_keys()[0][0]
