"""The writes that change how a participant's identifiers are stored (ADR 0018), for the
operator's jobs: sealing the identifiers of a profile written before ADR 0018 or correcting
them (`reseal`), and moving the NIK guard to the current key version (`move_guard`). Each
is condition-guarded, so a re-run, or two runs at once, end in "already done"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import settings
from . import dynamo, identifiers, keys, nik_lookup
from . import participants as profiles


def reseal(profile: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Stores `values` sealed on the profile and removes every clear identifier. False when
    the profile changed its identifiers in the meantime (read it again)."""
    pid = str(profile["participant_id"])
    sealed = identifiers.seal(pid, values)
    before = profile.get(identifiers.ATTRIBUTE)
    names = {f"#f{i}": field for i, field in enumerate(identifiers.FIELDS)}
    return dynamo.update(
        {
            "TableName": dynamo.table(),
            "Key": dynamo.key(keys.participant(pid), keys.PROFILE),
            "UpdateExpression": f"SET #sealed = :sealed, #masked = :masked REMOVE {', '.join(names)}",
            "ConditionExpression": "#sealed = :before" if before else "attribute_not_exists(#sealed)",
            "ExpressionAttributeNames": {**names, "#sealed": identifiers.ATTRIBUTE, "#masked": identifiers.MASKED},
            "ExpressionAttributeValues": dynamo.values(
                sealed=sealed,
                masked=identifiers.masked_nik({"nik": values["nik"]}) or "",
                **({"before": before} if before else {}),
            ),
        }
    )


def _other_versions(nik: str) -> list[str]:
    """Guard keys this NIK may still have under a version that is not the current one: the
    unkeyed v0 of before ADR 0018, and the previous key's while a rotation is under way."""
    current = nik_lookup.current_version()
    found = {keys.nik_guard(keys.LEGACY_NIK_VERSION, keys.legacy_nik_hash(nik))}
    for version, arn in settings.nik_lookup_keys()[1:]:
        if version != keys.LEGACY_NIK_VERSION:
            found.add(keys.nik_guard(version, nik_lookup.mac(nik, arn, version)))
    return sorted(pk for pk in found if not pk.startswith(f"NIK#{current}#"))


def guard_state(nik: str, participant_id: str) -> str:
    """What `move_guard` would do, read only: "current", "to_move" or "conflict"."""
    existing = dynamo.get(profiles.nik_guards(nik).current, keys.NIK_SK)
    if existing and existing.get("participant_id") != participant_id:
        return "conflict"
    old = [
        pk for pk in _other_versions(nik) if (dynamo.get(pk, keys.NIK_SK) or {}).get("participant_id") == participant_id
    ]
    return "to_move" if existing is None or old else "current"


def move_guard(nik: str, participant_id: str, at: datetime) -> str:
    """The NIK's guard under the current key version, then the old ones removed: "moved",
    "current" (nothing to do) or "conflict" (the current guard names someone else: left for
    an operator, nothing changed)."""
    guards = profiles.nik_guards(nik)
    existing = dynamo.get(guards.current, keys.NIK_SK)
    if existing and existing.get("participant_id") != participant_id:
        return "conflict"
    moved = False
    if existing is None:
        dynamo.put_new(profiles.guard_item(guards.current, guards.version, participant_id, at))
        moved = True
    for pk in _other_versions(nik):
        try:
            dynamo.client().delete_item(
                TableName=dynamo.table(),
                Key=dynamo.key(pk, keys.NIK_SK),
                ConditionExpression="participant_id = :pid",
                ExpressionAttributeValues=dynamo.values(pid=participant_id),
                ReturnValues="ALL_OLD",
            )
            moved = True
        except ClientError as error:
            if not dynamo.is_condition_failure(error):
                raise
    return "moved" if moved else "current"


def profile_page(limit: int, start: dict[str, Any] | None = None) -> tuple[list[dynamo.Item], dict[str, Any] | None]:
    """One page of the table's profiles, by Scan (the migration visits every one once);
    `start` is the previous page's last key, so a stopped run resumes where it stopped."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "FilterExpression": "sk = :profile",
        "ExpressionAttributeValues": dynamo.values(profile=keys.PROFILE),
        "Limit": limit,
    }
    if start:
        kwargs["ExclusiveStartKey"] = start
    out = dynamo.client().scan(**kwargs)
    return [dynamo.from_ddb(i) for i in out.get("Items", [])], out.get("LastEvaluatedKey")
