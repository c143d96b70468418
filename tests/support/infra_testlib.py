"""Helpers over synthesized CloudFormation template JSON, shared by the infra tests."""

from __future__ import annotations

import aws_cdk as cdk

# The environment the session synthesizes (as `-c env=staging`).
TEST_ENV = "staging"
# ...deployed with the HTTP payment provider, as a real environment is
# (-c paymentProvider=http -c paymentProviderUrl=...), and an operator principal.
TEST_PAYMENT_PROVIDER_URL = "https://disbursement.example.test"
TEST_OPERATOR_PRINCIPAL = (
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/ap-southeast-3/"
    "AWSReservedSSO_PrakerjaOperator_0123456789abcdef"
)
TEST_CONTEXT = {
    "env": TEST_ENV,
    "paymentProvider": "http",
    "paymentProviderUrl": TEST_PAYMENT_PROVIDER_URL,
    "operatorPrincipalArn": TEST_OPERATOR_PRINCIPAL,
}


def resources(template: dict, type_: str) -> dict[str, dict]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == type_}


def one(template: dict, type_: str) -> tuple[str, dict]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def lid(construct) -> str:
    """Logical id of an L2 construct's CloudFormation resource."""
    child = construct.node.default_child if not isinstance(construct, cdk.CfnElement) else construct
    return cdk.Stack.of(construct).get_logical_id(child)


def getatt_arn(construct) -> dict:
    return {"Fn::GetAtt": [lid(construct), "Arn"]}


def ref(construct) -> dict:
    return {"Ref": lid(construct)}


def imported(producer_template: dict, value: dict) -> dict:
    """How a consumer stack refers to `value` (e.g. a GetAtt) of another stack: Fn::ImportValue
    of the export whose value it is."""
    names = [
        o["Export"]["Name"]
        for o in producer_template.get("Outputs", {}).values()
        if o["Value"] == value and "Export" in o
    ]
    assert len(names) == 1, f"no single export of {value}: {names}"
    return {"Fn::ImportValue": names[0]}
