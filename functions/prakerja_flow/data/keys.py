"""Every key of the single table and of its work queues, built here and nowhere else
(schema.py documents the layout). Sort-key prefixes select one kind of item inside a
participant's partition."""

from __future__ import annotations

import hashlib

from .. import config
from .schema import Q_DEADLINES

# --- a participant's partition: P#<id> -----------------------------------------------------
PARTICIPANT_PREFIX = "P#"
PROFILE = "PROFILE"
PURCHASE = "PURCHASE#"
ENTITLEMENT = "ENT#"
TOKEN = "TOKEN#"
INBOX = "INBOX#"
LEDGER = "LEDGER#"
ACCOUNT_CHANGE = "ACCOUNT#"
VOUCHER = "VOUCHER#"
RATING_WINDOW = "DEADLINE#RATING"  # the rating window of the first completed training


def participant(participant_id: str) -> str:
    return f"{PARTICIPANT_PREFIX}{participant_id}"


def participant_id_of(pk: str) -> str | None:
    """The participant a partition key belongs to (None for other partitions)."""
    return pk[len(PARTICIPANT_PREFIX) :] if pk.startswith(PARTICIPANT_PREFIX) else None


def purchase(purchase_id: str) -> str:
    return f"{PURCHASE}{purchase_id}"


def entitlement(kind: str, sequence: int) -> str:
    return f"{ENTITLEMENT}{kind}#{sequence}"


def token(stage: str) -> str:
    return f"{TOKEN}{stage}"


def inbox(stage: str) -> str:
    return f"{INBOX}{stage}"


def ledger(entry_key: str) -> str:
    return f"{LEDGER}{entry_key}"


def ledger_entry_key(sk: str) -> str:
    return sk[len(LEDGER) :]


def account_change(at_iso: str, suffix: str) -> str:
    return f"{ACCOUNT_CHANGE}{at_iso}#{suffix}"


def voucher(code_hash: str) -> str:
    return f"{VOUCHER}{code_hash}"


# --- programme-wide items --------------------------------------------------------------------
WAVE_SK = "WAVE"
NIK_SK = "NIK"
PAUSE_PK = PAUSE_SK = "PAUSE"  # the programme-wide payout pause; per-wave pauses share the partition
WAVE_PAUSE_PREFIX = "WAVE#"
BUDGET_PK = BUDGET_SK = "BUDGET"
BUDGET_LEASE_PREFIX = "LEASE#"  # a payout-run shard's lease of budget room (data/budget_leases.py)
PROVIDER_PK = PROVIDER_SK = "PROVIDER"
AUDIT_PREFIX = "AUDIT#"
CLOCK_PK = CLOCK_SK = "CLOCK"  # the programme clock a stack publishes (data/published_clock.py)


def budget_lease(shard: int) -> str:
    return f"{BUDGET_LEASE_PREFIX}{int(shard)}"


def wave(number: int) -> str:
    return f"WAVE#{int(number)}"


def wave_pause(number: int) -> str:
    return f"{WAVE_PAUSE_PREFIX}{int(number)}"


LEGACY_NIK_VERSION = "v0"


def nik_guard(version: str, mac_hex: str) -> str:
    """One person, one card: the partition of the uniqueness guard of a NIK, its keyed hash
    (data/nik_lookup.py) under a key version, so that the key can be rotated (ADR 0018).
    Version v0 is the unkeyed hash of before ADR 0018, kept as it was until migrated."""
    return f"NIK#{mac_hex}" if version == LEGACY_NIK_VERSION else f"NIK#{version}#{mac_hex}"


def legacy_nik_hash(nik: str) -> str:
    """The unkeyed guard hash of before ADR 0018: only computed to find and remove such guards."""
    return hashlib.sha256(f"prakerja-nik:{nik}".encode()).hexdigest()


def audit_day(day: str) -> str:
    return f"{AUDIT_PREFIX}{day}"


# --- work queues (GSI1) -----------------------------------------------------------------------


def shard_count(queue_name: str) -> int:
    """Partitions of a work queue: the payout queue is split as wide as the payout run fans
    out (config.QUEUE_SHARDS); the deadline queue, read by one sweep, is split
    config.DEADLINE_QUEUE_SHARDS ways."""
    return config.DEADLINE_QUEUE_SHARDS if queue_name == Q_DEADLINES else config.QUEUE_SHARDS


def shard_of(participant_id: str, shards: int | None = None) -> int:
    return int(hashlib.sha256(participant_id.encode()).hexdigest(), 16) % (shards or config.QUEUE_SHARDS)


def queue(queue_name: str, participant_id: str) -> str:
    """The queue partition of a participant's items: <queue>#<shard>."""
    return queue_shard(queue_name, shard_of(participant_id, shard_count(queue_name)))


def queue_shard(queue_name: str, shard: int) -> str:
    return f"{queue_name}#{shard}"


def queue_position(at_iso: str, participant_id: str, *rest: object) -> str:
    """The queue sort key: due time first (string order is time order), then who and what."""
    return "#".join((at_iso, participant_id, *(str(part) for part in rest)))


def queue_until(at_iso: str) -> str:
    """The upper bound of a queue query for everything due at or before `at_iso`."""
    return f"{at_iso}#~"
