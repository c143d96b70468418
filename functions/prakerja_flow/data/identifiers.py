"""A participant's direct identifiers (NIK, full name, and the birth date and gender the NIK
encodes) never reach the table in clear (ADR 0018, UU 27/2022): they are sealed into one
attribute, `identifiers`, with KMS envelope encryption by the AWS Encryption SDK under the
dedicated identifiers key. What stays in clear is `nik_masked` (province, regency, last four).

Data keys are cached (CachingCryptoMaterialsManager): a registration burst or a payout run
calls KMS once per data key (config.IDENTIFIERS_DATA_KEY_*), not once per item. The cache is
keyed by the encryption context, so the context is the same for every participant (the
purpose only: not the table name, which a point-in-time restore changes); the participant id
is sealed inside the plaintext instead and checked on opening, so a sealed value copied onto
another participant's item does not open there."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Mapping
from typing import Any

import botocore.session

from .. import config, settings
from ..domain.nik import mask_nik
from . import clients

FIELDS = ("nik", "full_name", "birth_date", "gender")
ATTRIBUTE = "identifiers"
MASKED = "nik_masked"
PURPOSE = "prakerja-participant-identifiers"


class IdentifiersMismatch(Exception):
    """A sealed value that belongs to another participant (or was tampered with)."""


class _Sealer:
    """One key's provider, cache and client; thread-safe (the SDK's cache holds a lock)."""

    def __init__(self, key_arn: str):
        # Imported on first use (0.3-0.4 s, cryptography included): only the functions that
        # seal or open identifiers pay it, once per instance, not every cold start.
        import aws_encryption_sdk
        from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy

        # Key commitment, no message signature: a signature stops a principal that may only
        # decrypt from forging messages, and the only one here (the payout shard) is trusted to
        # write the table anyway; it would cost an ECDSA P-384 sign and verify per item.
        self.algorithm = Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
        session = botocore.session.Session()
        provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)
        self.materials = aws_encryption_sdk.CachingCryptoMaterialsManager(
            master_key_provider=provider,
            cache=aws_encryption_sdk.LocalCryptoMaterialsCache(config.IDENTIFIERS_DATA_KEY_CACHE_ENTRIES),
            max_age=config.IDENTIFIERS_DATA_KEY_MAX_AGE.total_seconds(),
            max_messages_encrypted=config.IDENTIFIERS_DATA_KEY_MAX_MESSAGES,
        )
        self.sdk = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
        )


_lock = threading.Lock()
_sealers: dict[str, _Sealer] = {}


def _sealer() -> _Sealer:
    arn = settings.identifiers_key_arn()
    with _lock:
        if arn not in _sealers:
            _sealers[arn] = _Sealer(arn)
        return _sealers[arn]


def _reset() -> None:
    with _lock:
        _sealers.clear()


clients.on_reset(_reset)


def _context() -> dict[str, str]:
    return {"purpose": PURPOSE}


def seal(participant_id: str, values: Mapping[str, Any]) -> str:
    """The identifiers of one participant as one ciphertext (base64 text, as DynamoDB stores it)."""
    sealer = _sealer()
    plaintext = json.dumps({"participant_id": participant_id, **values}, ensure_ascii=False, sort_keys=True)
    ciphertext, _ = sealer.sdk.encrypt(
        source=plaintext.encode(),
        materials_manager=sealer.materials,
        encryption_context=_context(),
        algorithm=sealer.algorithm,
    )
    return base64.b64encode(ciphertext).decode("ascii")


def open_sealed(participant_id: str, sealed: str) -> dict[str, Any]:
    """What `seal` sealed, once KMS agrees (kms:Decrypt on the identifiers key)."""
    sealer = _sealer()
    try:
        ciphertext = base64.b64decode(sealed, validate=True)
    except binascii.Error:
        raise IdentifiersMismatch(f"the identifiers stored on {participant_id} are not a sealed value") from None
    plaintext, header = sealer.sdk.decrypt(source=ciphertext, materials_manager=sealer.materials)
    if any(header.encryption_context.get(k) != v for k, v in _context().items()):
        raise IdentifiersMismatch("the identifiers were sealed for another purpose")
    values: dict[str, Any] = json.loads(plaintext)
    if values.pop("participant_id", None) != participant_id:
        raise IdentifiersMismatch(f"the identifiers stored on {participant_id} belong to another participant")
    return values


def sealed_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as stored: its clear identifiers replaced by `identifiers` and `nik_masked`."""
    stored = {k: v for k, v in item.items() if k not in FIELDS}
    clear = {k: item[k] for k in FIELDS if item.get(k) is not None}
    if clear:
        stored[ATTRIBUTE] = seal(str(item["participant_id"]), clear)
        if "nik" in clear:
            stored[MASKED] = mask_nik(str(clear["nik"]))
    return stored


def is_sealed(item: Mapping[str, Any]) -> bool:
    """True when no identifier of the item is in clear."""
    return not any(item.get(k) is not None for k in FIELDS)


def clear_identifiers(item: Mapping[str, Any]) -> dict[str, Any]:
    """The identifiers of a stored profile: opened, or (an item written before ADR 0018 and
    not migrated yet) as they are."""
    found = {k: item[k] for k in FIELDS if item.get(k) is not None}
    if item.get(ATTRIBUTE):
        found = {**open_sealed(str(item["participant_id"]), str(item[ATTRIBUTE])), **found}
    return found


def masked_nik(item: Mapping[str, Any]) -> str | None:
    """The masked NIK shown without any reveal permission."""
    if item.get(MASKED):
        return str(item[MASKED])
    return mask_nik(str(item["nik"])) if item.get("nik") else None
