"""Issue 16, item 7: after a simulation, every item of every table, read through the AWS API
(Scan of each table and of each of its indexes), holds no NIK and no full name of any
simulated participant in clear, in any attribute, key or audit entry; nor the unkeyed
hash of a NIK that the guard used before ADR 0018 (as good as clear: the NIK space can be
hashed in full). The identifiers are still there, sealed: each profile opens to its own."""

from __future__ import annotations

import json

import pytest

from bench.identifiers_cost import measure
from prakerja_flow.data import identifiers, keys
from prakerja_flow.data import participants as profiles
from prakerja_flow.domain.nik import mask_nik

PARTICIPANTS = 24


def scan_everything(ddb) -> list[tuple[str, dict]]:
    """(where, raw item) for every item of every table and every index."""
    found: list[tuple[str, dict]] = []
    for table in ddb.list_tables()["TableNames"]:
        described = ddb.describe_table(TableName=table)["Table"]
        sources = [{}] + [{"IndexName": i["IndexName"]} for i in described.get("GlobalSecondaryIndexes", [])]
        for source in sources:
            for page in ddb.get_paginator("scan").paginate(TableName=table, **source):
                where = f"{table}/{source.get('IndexName', '')}"
                found.extend((where, item) for item in page["Items"])
    return found


def in_clear(items: list[tuple[str, dict]], secrets: dict[str, str]) -> list[str]:
    """Each secret (what it is -> its value) found anywhere in an item's raw text."""
    hits = []
    for where, item in items:
        text = json.dumps(item, ensure_ascii=False)
        key = "/".join(str(next(iter(item[k].values()))) for k in ("pk", "sk", "id") if k in item)
        hits.extend(f"{what} in {where} {key}" for what, v in secrets.items() if v in text)
    return hits


@pytest.fixture(scope="module")
def world():
    seen: dict = {}

    def inspect(cloud, personas):
        seen["items"] = scan_everything(cloud.ddb)
        seen["personas"] = personas
        seen["opened"] = {
            p.participant_id: profiles.identifiers_of(profiles.require(p.participant_id))
            for p in personas
            if p.participant_id
        }

    seen["cost"] = measure(PARTICIPANTS, seed=16, inspect=inspect)
    assert seen["cost"]["ok"] and seen["cost"]["paid_idr"] > 0, seen["cost"]
    return seen


def test_no_nik_name_or_unkeyed_nik_hash_of_any_participant_is_in_any_table(world):
    registered = [p for p in world["personas"] if p.participant_id]
    assert len(registered) == PARTICIPANTS and len(world["items"]) > 40 * PARTICIPANTS  # the whole world was read
    secrets = {}
    for p in registered:
        secrets[f"NIK of {p.participant_id}"] = p.nik
        secrets[f"name of {p.participant_id}"] = p.full_name
        secrets[f"unkeyed NIK hash of {p.participant_id}"] = keys.legacy_nik_hash(p.nik)
    assert in_clear(world["items"], secrets) == []


def test_the_scan_would_see_an_identifier_in_clear(world):
    """The check itself: one clear NIK in one attribute of one item is found."""
    p = world["personas"][0]
    where, item = next((w, i) for w, i in world["items"] if i.get("sk") == {"S": "PROFILE"})
    planted = {**item, "note": {"M": {"said": {"S": f"caller read out {p.nik}"}}}}
    assert in_clear([(where, planted)], {"NIK": p.nik}) == [f"NIK in {where} {item['pk']['S']}/PROFILE"]


def test_every_profile_holds_its_identifiers_sealed_and_its_nik_masked(world):
    profiles = {i["pk"]["S"]: i for w, i in world["items"] if i.get("sk") == {"S": "PROFILE"} and w.endswith("/")}
    for p in world["personas"]:
        stored = profiles[keys.participant(p.participant_id)]
        assert stored[identifiers.MASKED]["S"] == mask_nik(p.nik)
        assert identifiers.ATTRIBUTE in stored and not any(f in stored for f in identifiers.FIELDS)
        assert world["opened"][p.participant_id]["nik"] == p.nik
        assert world["opened"][p.participant_id]["full_name"] == p.full_name


def test_nik_guards_are_keyed_and_versioned(world):
    guards = [i for w, i in world["items"] if i.get("sk") == {"S": keys.NIK_SK} and w.endswith("/")]
    assert len(guards) == PARTICIPANTS
    assert all(g["pk"]["S"].startswith("NIK#v1#") and g["version"]["S"] == "v1" for g in guards)


def test_data_keys_are_cached_so_opening_identifiers_is_not_one_kms_request_each(world):
    cost = world["cost"]
    opened, kms = cost["calls"]["open_sealed"], cost["kms_requests"]
    assert opened >= 4 * PARTICIPANTS  # every paid payout's inquiry opened the holder's NIK
    assert kms.get("decrypt", 0) <= 2 and kms.get("generate_data_key", 0) <= 2  # one process, one data key
    assert kms["generate_mac"] == cost["calls"]["mac"] >= PARTICIPANTS  # the NIK guard: one MAC per registration
    assert cost["kms_requests_per_1000_participants"] < cost["kms_requests_per_1000_without_cache_hits"] / 5
