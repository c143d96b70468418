"""Stateful resources: the single table, the idempotency table, their KMS key, and the
payment provider credentials. Everything here is retained when the stack is deleted."""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from prakerja_flow import catalogue
from prakerja_flow.data import schema

from ..environment import DeployEnv
from ..nag import acknowledge

NIK_LOOKUP_VERSION = "v1"  # the guard's key version in use (data/nik_lookup.py); a rotation adds v2
_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER, "B": dynamodb.AttributeType.BINARY}


def _key(definition: dict, key_schema: list[dict], key_type: str) -> dynamodb.Attribute | None:
    types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
    for element in key_schema:
        if element["KeyType"] == key_type:
            name = element["AttributeName"]
            return dynamodb.Attribute(name=name, type=_TYPES[types[name]])
    return None


def table_from_definition(
    scope: Construct, construct_id: str, definition: dict, key: kms.IKey, **extra
) -> dynamodb.Table:
    """A DynamoDB table built from a CreateTable definition in schema.py (the local runtime
    creates its tables from the same dicts)."""
    if definition.get("BillingMode") != "PAY_PER_REQUEST":
        raise ValueError(f"{definition['TableName']}: only on-demand tables are deployed")
    table = dynamodb.Table(
        scope,
        construct_id,
        table_name=definition["TableName"],
        partition_key=_key(definition, definition["KeySchema"], "HASH"),
        sort_key=_key(definition, definition["KeySchema"], "RANGE"),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
        **extra,
    )
    for index in definition.get("GlobalSecondaryIndexes", []):
        if index["Projection"]["ProjectionType"] != "ALL":
            raise ValueError(f"{index['IndexName']}: only ALL projections are supported here")
        table.add_global_secondary_index(
            index_name=index["IndexName"],
            partition_key=_key(definition, index["KeySchema"], "HASH"),
            sort_key=_key(definition, index["KeySchema"], "RANGE"),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    return table


class DataStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, deploy_env: DeployEnv, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.deploy_env = deploy_env

        self.key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{deploy_env.prefixed(catalogue.SERVICE_NAME)}-data",
            description=f"Prakerja Flow ({deploy_env.name}): tables and payment provider credentials",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        # ADR 0018: participants' direct identifiers get their own key, so that reading the
        # table (the data key, through DynamoDB) does not let anyone read them: opening them
        # needs kms:Decrypt on this key, which operators' default policy does not grant.
        self.identifiers_key = kms.Key(
            self,
            "IdentifiersKey",
            alias=f"alias/{deploy_env.prefixed(catalogue.SERVICE_NAME)}-identifiers",
            description=f"Prakerja Flow ({deploy_env.name}): participants' NIK, name and birth date (ADR 0018)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # The NIK guard's HMAC key: never leaves KMS. KMS does not rotate HMAC keys; a new
        # version is a new key (docs/operations.md, "Rotating the NIK lookup key").
        self.nik_lookup_version = NIK_LOOKUP_VERSION
        self.nik_lookup_key = kms.Key(
            self,
            f"NikLookupKey{NIK_LOOKUP_VERSION.upper()}",
            alias=f"alias/{deploy_env.prefixed(catalogue.SERVICE_NAME)}-nik-lookup-{NIK_LOOKUP_VERSION}",
            description=f"Prakerja Flow ({deploy_env.name}): NIK lookup HMAC key {NIK_LOOKUP_VERSION} (ADR 0018)",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.table_name = deploy_env.prefixed(catalogue.TABLE_NAME)
        self.table = table_from_definition(self, "Table", schema.table_definition(self.table_name), self.key)
        self.index_names = tuple(name for name, _, _ in schema.GSIS)

        self.idempotency_table = table_from_definition(
            self,
            "IdempotencyTable",
            schema.idempotency_table_definition(self.table_name),
            self.key,
            time_to_live_attribute=schema.IDEMPOTENCY_TTL_ATTR,
        )

        self.payment_provider_secret = sm.Secret(
            self,
            "PaymentProviderSecret",
            secret_name=f"{deploy_env.name}/{catalogue.SERVICE_NAME}/payment-provider",
            description=(
                "Payment provider API credentials (JSON). The generated value is a placeholder: "
                "set the real one with put-secret-value (docs/deploy.md)."
            ),
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.payment_provider_secret,
            "AwsSolutions-SMG4",
            "The credentials are issued by the payment provider; rotating them needs the provider's "
            "key-rotation API, which a later issue adds as a rotation function. Until then they are "
            "rotated by hand with put-secret-value (docs/deploy.md).",
        )
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "PaymentProviderSecretName", value=self.payment_provider_secret.secret_name)
