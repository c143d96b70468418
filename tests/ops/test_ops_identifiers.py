"""ADR 0018 in `prakerja ops`: reveal, export and correct-name (audited before anything is
shown), and the one-off, resumable migration of items stored in clear before ADR 0018
(with a dry run), on a table that holds both kinds."""

from __future__ import annotations

import json

from moto.kms.exceptions import AccessDeniedException
from moto.kms.models import KmsBackend
from support.lifecycle_steps import nik, open_wave, register

from prakerja.ops import identity
from prakerja_flow import clock, settings
from prakerja_flow.data import dynamo, identifiers, keys
from prakerja_flow.data import participants as profiles

WHO = ("--actor", "siti.ops", "--reason", "caller asked, ticket 42")


def audit_actions(cloud) -> list[tuple[str, str | None]]:
    items = [i for i in cloud.scan() if i["pk"].startswith(keys.AUDIT_PREFIX)]
    return [(i["action"], i["details"].get("participant_id")) for i in sorted(items, key=lambda i: i["sk"])]


def raw_table(cloud) -> str:
    return json.dumps(cloud.ddb.scan(TableName=cloud.table_name)["Items"])


def test_reveal_shows_the_nik_and_name_only_after_it_is_audited(cloud, ops):
    open_wave(cloud)
    pid = register(cloud, 3)
    code, text, _, _ = ops("participant", pid)
    assert code == 0 and nik(3) not in text and nik(3)[:4] + "*" * 8 + nik(3)[-4:] in text
    code, _, _, shown = ops("reveal", nik(3), *WHO, "--json")  # found by NIK, through the keyed guard
    assert code == 0 and shown == {"participant_id": pid, "nik": nik(3), "full_name": "Siti"}
    assert audit_actions(cloud)[-1] == ("participant.reveal_nik", pid)
    code, _, err, _ = ops("reveal", pid, "--actor", "siti.ops", "--reason", " ")
    assert code == 2 and err.startswith("prakerja: --reason") and err.count("\n") == 1


def test_a_refused_decrypt_reveals_nothing_and_writes_no_audit_entry(cloud, ops, monkeypatch):
    """An operator without the reveal policy: KMS refuses Decrypt (moto enforces no IAM, so
    the refusal is KMS's answer put in its place)."""
    open_wave(cloud)
    pid = register(cloud, 4)
    before = audit_actions(cloud)

    def refused(*_, **__):
        raise AccessDeniedException("User: operator is not authorized to perform: kms:Decrypt")

    monkeypatch.setattr(KmsBackend, "decrypt", refused)
    code, out, err, _ = ops("reveal", pid, *WHO)
    assert code == 1 and nik(4) not in out + err and "kms:Decrypt on the identifiers key" in err
    assert audit_actions(cloud) == before


def test_export_gives_every_item_with_the_identifiers_opened(cloud, ops, tmp_path):
    open_wave(cloud)
    pid = register(cloud, 5)
    code, text, _, _ = ops("export", pid, *WHO, "--output", str(tmp_path / "p.json"))
    assert code == 0 and text.startswith(f"wrote 2 items of {pid}")  # the profile and the ledger's grant
    exported = json.loads((tmp_path / "p.json").read_text())
    profile = next(i for i in exported["items"] if i["sk"] == keys.PROFILE)
    assert profile["nik"] == nik(5) and profile["full_name"] == "Siti" and identifiers.ATTRIBUTE not in profile
    assert exported["standing"]["nik_masked"] == profile["nik_masked"]
    assert audit_actions(cloud)[-1] == ("participant.export", pid)


def test_a_corrected_name_is_sealed_and_audited_without_the_names(cloud, ops):
    open_wave(cloud)
    pid = register(cloud, 6)
    code, text, _, _ = ops("correct-name", pid, "Siti Aminah", *WHO, "--yes")
    assert code == 0 and text.strip() == f"name of {pid} corrected"
    assert ops("reveal", pid, *WHO, "--json")[3]["full_name"] == "Siti Aminah"
    assert "Siti Aminah" not in raw_table(cloud)
    assert ("participant.correct_name", pid) in audit_actions(cloud)
    code, _, err, _ = ops("correct-name", pid, "Siti\nAminah", *WHO, "--yes")
    assert code == 2 and err.startswith("prakerja: name:")


def _as_before_adr_0018(cloud, pid: str) -> None:
    """Rewrites a participant as stored before ADR 0018: identifiers in clear, unkeyed guard."""
    profile = dict(profiles.require(pid))
    opened = profiles.identifiers_of(profile)
    for attribute in (identifiers.ATTRIBUTE, identifiers.MASKED):
        profile.pop(attribute)
    cloud.ddb.put_item(TableName=cloud.table_name, Item=dynamo.to_ddb({**profile, **opened}))
    guards = profiles.nik_guards(opened["nik"])
    cloud.ddb.delete_item(TableName=cloud.table_name, Key=dynamo.key(guards.current, keys.NIK_SK))
    legacy = keys.nik_guard(keys.LEGACY_NIK_VERSION, keys.legacy_nik_hash(opened["nik"]))
    item = profiles.guard_item(legacy, keys.LEGACY_NIK_VERSION, pid, clock.now())
    cloud.ddb.put_item(TableName=cloud.table_name, Item=dynamo.to_ddb(item))


def test_the_migration_seals_clear_items_and_moves_guards_resumably(cloud, ops, monkeypatch):
    open_wave(cloud)
    sealed, old_a, old_b = register(cloud, 7), register(cloud, 8), register(cloud, 9)
    for pid in (old_a, old_b):
        _as_before_adr_0018(cloud, pid)
    assert nik(8) in raw_table(cloud) and keys.legacy_nik_hash(nik(9)) in raw_table(cloud)
    # While migrating, the functions also consult the unkeyed guards: one person, one card.
    monkeypatch.setenv(settings.ENV_NIK_LOOKUP_PREVIOUS_KEY_VERSION, keys.LEGACY_NIK_VERSION)
    status, body = cloud.request("POST", "/participants", {"nik": nik(8), "full_name": "Again", "wave": 1})
    assert status == 409 and body["error"]["code"] == "DuplicateNik"

    before = raw_table(cloud)
    code, _, _, dry = ops("identifiers", "migrate", *WHO, "--dry-run", "--json")
    assert code == 0 and (dry["profiles_seen"], dry["profiles_to_seal"], dry["guards_to_move"]) == (3, 2, 2)
    assert raw_table(cloud) == before  # a dry run changes nothing

    monkeypatch.setattr(identity, "MIGRATION_PAGE", 1)
    code, _, _, first = ops("identifiers", "migrate", *WHO, "--limit", "1", "--yes", "--json")
    assert code == 0 and first["profiles_seen"] == 1 and first["resume_with"]
    code, _, _, rest = ops("identifiers", "migrate", *WHO, "--start", first["resume_with"], "--yes", "--json")
    assert code == 0 and first["profiles_seen"] + rest["profiles_seen"] >= 3 and rest["resume_with"] is None
    assert first["profiles_sealed"] + rest["profiles_sealed"] == 2 and not rest["conflicts"]

    after = raw_table(cloud)
    for sequence in (7, 8, 9):
        assert nik(sequence) not in after and keys.legacy_nik_hash(nik(sequence)) not in after
    assert [ops("reveal", nik(s), *WHO, "--json")[3]["participant_id"] for s in (7, 8, 9)] == [sealed, old_a, old_b]
    # (`ops` read the functions' settings, which name no previous version: as after the migration)
    status, body = cloud.request("POST", "/participants", {"nik": nik(9), "full_name": "Again", "wave": 1})
    assert status == 409 and body["error"]["code"] == "DuplicateNik"
    code, _, _, again = ops("identifiers", "migrate", *WHO, "--yes", "--json")
    assert (again["profiles_sealed"], again["guards_moved"]) == (0, 0)  # done once: a re-run skips it all
