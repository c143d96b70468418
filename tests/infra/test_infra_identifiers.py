"""ADR 0018 in the CDK app: a dedicated identifiers key and a KMS HMAC key for the NIK guard;
only registration seals and keys, only the payout shard opens; operators' default policy
keys a NIK for a lookup but cannot open identifiers: that is the separate reveal policy."""

from __future__ import annotations

import json

import pytest
from support.infra_testlib import as_list, getatt_arn, imported, lid, resources

from infra import operators
from prakerja_flow import catalogue

SPECS = {spec.key: spec for spec in catalogue.FUNCTIONS}


@pytest.fixture(scope="module")
def data(synth):
    return synth.system.data


@pytest.fixture(scope="module")
def workflow(synth):
    return synth.system.workflow


@pytest.fixture(scope="module")
def templates(synth) -> list[dict]:
    return [synth.raw(synth.system.data), synth.raw(synth.system.workflow)]


def _statements(template: dict, role_lid: str) -> list[dict]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_lid} in policy["Properties"].get("Roles", []):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_the_identifiers_key_is_its_own_rotated_key_and_the_lookup_key_an_hmac_key(synth, data):
    keys = resources(synth.raw(data), "AWS::KMS::Key")
    identifiers = keys[lid(data.identifiers_key)]["Properties"]
    lookup = keys[lid(data.nik_lookup_key)]["Properties"]
    assert lid(data.identifiers_key) != lid(data.key) and identifiers["EnableKeyRotation"] is True
    assert (lookup["KeySpec"], lookup["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    aliases = {a["Properties"]["AliasName"] for a in resources(synth.raw(data), "AWS::KMS::Alias").values()}
    assert {a.rsplit("-", 2)[-1] for a in aliases} >= {"identifiers", "v1"}


@pytest.mark.parametrize("key", list(SPECS))
def test_only_registration_seals_and_keys_and_only_the_payout_shard_opens(synth, workflow, key):
    data = synth.system.data
    template = synth.raw(workflow)
    identifiers_key = imported(synth.raw(data), getatt_arn(data.identifiers_key))
    lookup_key = imported(synth.raw(data), getatt_arn(data.nik_lookup_key))
    on_identifiers, on_lookup = set(), set()
    for statement in _statements(template, lid(workflow.roles[key])):
        resource = as_list(statement["Resource"])
        if identifiers_key in resource:
            on_identifiers |= set(as_list(statement["Action"]))
        if lookup_key in resource:
            on_lookup |= set(as_list(statement["Action"]))
    spec = SPECS[key]
    expected = ({"kms:GenerateDataKey", "kms:Encrypt"} if spec.seals_identifiers else set()) | (
        {"kms:Decrypt"} if spec.opens_identifiers else set()
    )
    assert on_identifiers == expected
    assert on_lookup == ({"kms:GenerateMac"} if spec.seals_identifiers else set())
    assert {k for k, s in SPECS.items() if s.opens_identifiers} == {"pay-shard"}
    assert {k for k, s in SPECS.items() if s.seals_identifiers} == {catalogue.API_FUNCTION_KEY}


def test_operators_default_policy_keys_a_nik_but_cannot_open_identifiers(synth, workflow):
    data = synth.system.data
    template = synth.raw(workflow)
    policy = template["Resources"][lid(workflow.operators.policy)]["Properties"]["PolicyDocument"]
    identifiers_key = json.dumps(imported(synth.raw(data), getatt_arn(data.identifiers_key)))
    assert identifiers_key not in json.dumps(policy)
    (lookup,) = [s for s in policy["Statement"] if s["Sid"] == "NikLookup"]
    assert as_list(lookup["Action"]) == list(operators.OPERATOR_NIK_LOOKUP_ACTIONS)
    assert lookup["Resource"] == imported(synth.raw(data), getatt_arn(data.nik_lookup_key))


def test_the_reveal_policy_opens_identifiers_and_only_the_reveal_role_has_it(synth, workflow):
    data = synth.system.data
    template = synth.raw(workflow)
    reveal = template["Resources"][lid(workflow.operators.reveal_policy)]["Properties"]
    (statement,) = reveal["PolicyDocument"]["Statement"]
    assert set(as_list(statement["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"}
    assert statement["Resource"] == imported(synth.raw(data), getatt_arn(data.identifiers_key))
    role = template["Resources"][lid(workflow.operators.reveal_role)]["Properties"]
    assert role["ManagedPolicyArns"] == [
        {"Ref": lid(workflow.operators.policy)},
        {"Ref": lid(workflow.operators.reveal_policy)},
    ]
    default = template["Resources"][lid(workflow.operators.role)]["Properties"]
    assert {"Ref": lid(workflow.operators.reveal_policy)} not in default["ManagedPolicyArns"]
