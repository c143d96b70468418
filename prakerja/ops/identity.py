"""What `prakerja ops` does with participants' identifiers (ADR 0018): reveal them, export a
participant's data, correct a name (the participant's rights, UU 27/2022), and migrate items
written in clear before ADR 0018. Everything that shows or changes an identifier needs the
reveal policy (kms:Decrypt on the identifiers key) and is written to the audit log, who,
when, why and whose, before anything is shown: no identifier is seen unrecorded."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic_core import PydanticCustomError

from prakerja_flow.data import audit, identifiers, identity
from prakerja_flow.data import participants as profiles
from prakerja_flow.handlers import text
from prakerja_flow.handlers.api_models import FULL_NAME
from prakerja_flow.services import status

from .actions import REVEAL_NIK, checked_words
from .aws import OpsError, OpsUsageError, Target

REVEAL = REVEAL_NIK  # one action name for every reveal, console and CLI: the audit log's filter
EXPORT, CORRECT_NAME, MIGRATE = "participant.export", "participant.correct_name", "identifiers.migrate"
MIGRATION_PAGE = 100


def _open(profile: dict) -> dict[str, Any]:
    from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError

    try:
        return profiles.identifiers_of(profile)  # type: ignore[arg-type]
    except (AWSEncryptionSDKClientError, ClientError, BotoCoreError, identifiers.IdentifiersMismatch) as error:
        raise OpsError(
            f"cannot open the identifiers of {profile['participant_id']}: {error} "
            "(revealing needs the reveal policy: kms:Decrypt on the identifiers key)"
        ) from None


def _profile(participant_id: str) -> dict:
    profile = profiles.get(participant_id)
    if profile is None:
        raise OpsError(f"participant {participant_id} not found")
    return dict(profile)


def reveal(target: Target, participant_id: str, actor: str, reason: str) -> dict[str, Any]:
    """The participant's NIK and name: opened, then audited, then returned."""
    actor, reason = checked_words(actor, reason)
    opened = _open(_profile(participant_id))
    audit.append(actor, REVEAL, reason, target.now(), participant_id=participant_id)
    return {"participant_id": participant_id, "nik": opened.get("nik"), "full_name": opened.get("full_name")}


def export(target: Target, participant_id: str, actor: str, reason: str) -> dict[str, Any]:
    """Every item stored under the participant, the profile's identifiers opened, and their
    standing in words: the participant's copy of their data."""
    actor, reason = checked_words(actor, reason)
    items = [dict(i) for i in profiles.items(participant_id)]
    profile = next((i for i in items if i["sk"] == "PROFILE"), None)
    if profile is None:
        raise OpsError(f"participant {participant_id} not found")
    opened = _open(profile)
    profile.pop(identifiers.ATTRIBUTE, None)
    profile.update(opened)
    audit.append(actor, EXPORT, reason, target.now(), participant_id=participant_id)
    return {"participant_id": participant_id, "standing": status.participant_view(participant_id), "items": items}


def correct_name(target: Target, participant_id: str, new_name: str, actor: str, reason: str) -> str:
    """Seals the corrected name with the other identifiers; the audit entry keeps who, when
    and why, never the names (they would be identifiers in clear)."""
    actor, reason = checked_words(actor, reason)
    try:
        text.refuse_forbidden(new_name, FULL_NAME)
        name = text.normalise(new_name, FULL_NAME)
    except PydanticCustomError as error:
        raise OpsUsageError(f"name: {error.message()}") from None
    for _ in range(3):
        profile = _profile(participant_id)
        opened = _open(profile)
        if opened.get("full_name") == name:
            return "unchanged"
        if identity.reseal(profile, {**opened, "full_name": name}):
            audit.append(actor, CORRECT_NAME, reason, target.now(), participant_id=participant_id)
            return "corrected"
    raise OpsError(f"the identifiers of {participant_id} changed concurrently; try again")


@dataclass
class Migration:
    dry_run: bool
    seen: int = 0
    sealed: int = 0
    guards_moved: int = 0
    conflicts: list[str] = field(default_factory=list)
    next_start: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "profiles_seen": self.seen,
            "profiles_to_seal" if self.dry_run else "profiles_sealed": self.sealed,
            "guards_to_move" if self.dry_run else "guards_moved": self.guards_moved,
            "conflicts": self.conflicts,
            "resume_with": self.next_start,
        }


def encode_start(key: dict | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode() if key else None


def decode_start(token: str | None) -> dict | None:
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        raise OpsUsageError("--start must be the resume_with token a previous run printed") from None


def migrate(
    target: Target,
    actor: str,
    reason: str,
    dry_run: bool,
    start: str | None = None,
    limit: int | None = None,
    on_page: Callable[[Migration], None] | None = None,
) -> Migration:
    """Seals every profile that still holds identifiers in clear and moves every NIK guard to
    the current key version (the unkeyed v0 guards, or the previous key's after a rotation).
    Resumable: each item is done at most once (re-running skips it), and a run stopped after
    `limit` profiles prints where to resume. A dry run reads and counts, changes nothing."""
    actor, reason = checked_words(actor, reason)
    run, page_start = Migration(dry_run), decode_start(start)
    while True:
        page, page_start = identity.profile_page(MIGRATION_PAGE, page_start)
        for profile in page:
            _migrate_one(target, run, profile)
        run.next_start = encode_start(page_start)
        if on_page:
            on_page(run)
        if not page_start or (limit is not None and run.seen >= limit):
            break
    if not dry_run:
        audit.append(
            actor, MIGRATE, reason, target.now(), **{k: v for k, v in run.as_dict().items() if k != "conflicts"}
        )
    return run


def _migrate_one(target: Target, run: Migration, profile: dict) -> None:
    run.seen += 1
    pid = str(profile["participant_id"])
    opened = _open(profile)
    if not identifiers.is_sealed(profile):
        run.sealed += 1
        if not run.dry_run:
            identity.reseal(profile, opened)
    nik = str(opened["nik"])
    outcome = identity.guard_state(nik, pid) if run.dry_run else identity.move_guard(nik, pid, target.now())
    if outcome in ("moved", "to_move"):
        run.guards_moved += 1
    elif outcome == "conflict":
        run.conflicts.append(pid)
