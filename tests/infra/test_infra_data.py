"""DataStack: the tables are the ones schema.py declares, protected and encrypted."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from support.infra_testlib import TEST_ENV, getatt_arn, resources

from prakerja_flow import catalogue
from prakerja_flow.data import schema


@pytest.fixture(scope="module")
def data(synth):
    return synth.system.data


@pytest.fixture(scope="module")
def tables(synth, data) -> dict[str, dict]:
    by_name = {r["Properties"]["TableName"]: r for r in resources(synth.raw(data), "AWS::DynamoDB::Table").values()}
    assert len(by_name) == 2
    return by_name


def _normalised(definition: dict) -> dict:
    """The parts of a CreateTable definition that CloudFormation's table carries too."""
    return {
        "KeySchema": definition["KeySchema"],
        "AttributeDefinitions": sorted(definition["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "GlobalSecondaryIndexes": sorted(definition.get("GlobalSecondaryIndexes", []), key=lambda i: i["IndexName"]),
        "BillingMode": definition["BillingMode"],
    }


def _definitions() -> list[dict]:
    name = f"{TEST_ENV}-{catalogue.TABLE_NAME}"
    return [schema.table_definition(name), schema.idempotency_table_definition(name)]


@pytest.mark.parametrize("definition", _definitions(), ids=lambda d: d["TableName"])
def test_table_mirrors_schema_definition(tables, definition):
    table = tables[definition["TableName"]]["Properties"]
    assert _normalised(table) == _normalised(definition)


@pytest.mark.parametrize("definition", _definitions(), ids=lambda d: d["TableName"])
def test_table_is_protected_and_encrypted_with_the_data_key(tables, data, definition):
    table = tables[definition["TableName"]]
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert props["DeletionProtectionEnabled"] is True
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {
        "KMSMasterKeyId": getatt_arn(data.key),
        "SSEEnabled": True,
        "SSEType": "KMS",
    }


def test_gsis_are_the_schema_ones(tables):
    main = tables[f"{TEST_ENV}-{catalogue.TABLE_NAME}"]["Properties"]
    assert [i["IndexName"] for i in main["GlobalSecondaryIndexes"]] == [name for name, _, _ in schema.GSIS]


def test_idempotency_table_has_ttl(tables):
    table = tables[f"{TEST_ENV}-{catalogue.TABLE_NAME}{schema.IDEMPOTENCY_TABLE_SUFFIX}"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": schema.IDEMPOTENCY_TTL_ATTR, "Enabled": True}


def test_data_key_rotates_and_is_retained(synth, data):
    synth.template(data).has_resource(
        "AWS::KMS::Key",
        {"Properties": Match.object_like({"EnableKeyRotation": True}), "DeletionPolicy": "Retain"},
    )
    synth.template(data).has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": f"alias/{TEST_ENV}-{catalogue.SERVICE_NAME}-data"}
    )


def test_payment_provider_secret_uses_the_data_key(synth, data):
    synth.template(data).has_resource(
        "AWS::SecretsManager::Secret",
        {
            "Properties": Match.object_like(
                {"Name": f"{TEST_ENV}/{catalogue.SERVICE_NAME}/payment-provider", "KmsKeyId": getatt_arn(data.key)}
            ),
            "DeletionPolicy": "Retain",
        },
    )
