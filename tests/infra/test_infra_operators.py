"""Operator access for `prakerja ops` (issue 6): one managed policy with exactly the calls
the commands make, on this environment's table, key and state machine; and a role the
principal given as `-c operatorPrincipalArn=...` may assume."""

from __future__ import annotations

import json
import re

import botocore.session
import pytest
from botocore import xform_name
from support.infra_testlib import (
    TEST_CONTEXT,
    TEST_ENV,
    TEST_OPERATOR_PRINCIPAL,
    as_list,
    getatt_arn,
    imported,
    lid,
    resources,
)

from infra import operators
from prakerja_flow import catalogue

ROOT = catalogue.PROJECT_ROOT


@pytest.fixture(scope="module")
def workflow(synth):
    return synth.system.workflow


@pytest.fixture(scope="module")
def template(synth, workflow) -> dict:
    return synth.raw(workflow)


@pytest.fixture(scope="module")
def policy(template, workflow) -> dict:
    return template["Resources"][lid(workflow.operators.policy)]["Properties"]


def _by_sid(policy) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def test_one_operator_policy_named_per_environment(template, policy):
    # The default policy and the reveal policy (ADR 0018, tests/infra/test_infra_identifiers.py).
    names = {p["Properties"]["ManagedPolicyName"] for p in resources(template, "AWS::IAM::ManagedPolicy").values()}
    assert names == {f"{TEST_ENV}-prakerja-flow-operator", f"{TEST_ENV}-prakerja-flow-operator-reveal"}
    assert policy["ManagedPolicyName"] == f"{TEST_ENV}-prakerja-flow-operator"


def test_table_actions_on_the_table_and_its_indexes_only(synth, policy):
    data = synth.system.data
    table = _by_sid(policy)["Table"]
    assert set(as_list(table["Action"])) == set(operators.OPERATOR_TABLE_ACTIONS)
    table_arn = imported(synth.raw(data), getatt_arn(data.table))
    assert table["Resource"] == [table_arn] + [{"Fn::Join": ["", [table_arn, f"/index/{i}"]]} for i in data.index_names]
    # Nothing that moves money: no transactions, no deletes of whole tables, no PartiQL.
    assert not {"dynamodb:TransactWriteItems", "dynamodb:BatchWriteItem", "dynamodb:DeleteTable"} & set(
        as_list(table["Action"])
    )


def test_key_only_through_dynamodb(synth, policy):
    data = synth.system.data
    key = _by_sid(policy)["TableKey"]
    assert set(as_list(key["Action"])) == {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}
    assert key["Resource"] == imported(synth.raw(data), getatt_arn(data.key))
    assert "dynamodb." in json.dumps(key["Condition"]["StringEquals"]["kms:ViaService"])


def test_step_functions_actions_on_this_environments_lifecycle(policy):
    statements = _by_sid(policy)
    listing = statements["ListExecutions"]
    assert as_list(listing["Action"]) == ["states:ListExecutions"]
    lifecycle, payout_run = (json.dumps(r) for r in as_list(listing["Resource"]))
    assert lifecycle.endswith(f':stateMachine:{TEST_ENV}-{catalogue.STATE_MACHINE_NAME}"]]}}')
    assert payout_run.endswith(f':stateMachine:{TEST_ENV}-{catalogue.PAYOUT_RUN.name}"]]}}')
    runs = statements["PayoutRunExecutions"]  # read only: nothing to redrive or resume there
    assert set(as_list(runs["Action"])) == {"states:DescribeExecution", "states:GetExecutionHistory"}
    assert json.dumps(runs["Resource"]).endswith(f':execution:{TEST_ENV}-{catalogue.PAYOUT_RUN.name}:*"]]}}')
    executions = statements["Executions"]
    assert set(as_list(executions["Action"])) == {
        "states:DescribeExecution",
        "states:GetExecutionHistory",
        "states:RedriveExecution",
    }
    assert json.dumps(executions["Resource"]).endswith(f':execution:{TEST_ENV}-{catalogue.STATE_MACHINE_NAME}:*"]]}}')
    tasks = statements["FailWaitingTasks"]
    assert set(as_list(tasks["Action"])) == {"states:SendTaskFailure", "states:SendTaskSuccess"}
    assert tasks["Resource"] == "*"  # task-token actions have no resource-level permissions


def test_star_only_where_no_arn_exists(policy):
    for statement in policy["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= set(operators.OPERATOR_TASK_ACTIONS)


def test_role_is_assumable_by_the_context_principal_only(template, workflow):
    role = template["Resources"][lid(workflow.operators.role)]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"AWS": TEST_OPERATOR_PRINCIPAL}
    assert role["ManagedPolicyArns"] == [{"Ref": lid(workflow.operators.policy)}]  # not the reveal policy
    assert role["RoleName"] == f"{TEST_ENV}-prakerja-flow-operator"
    assert role["MaxSessionDuration"] == 3600
    assert {"OperatorRoleArn", "OperatorPolicyArn"} <= set(template["Outputs"])


def _service_calls(service: str, sources: list) -> set[str]:
    """IAM actions for every boto3 `<client>.<operation>(` call of `service` in the sources."""
    model = botocore.session.get_session().get_service_model(service)
    prefix = {"dynamodb": "dynamodb", "stepfunctions": "states", "lambda": "lambda"}[service]
    by_method = {xform_name(op): f"{prefix}:{op}" for op in model.operation_names}
    found = set()
    for path in sources:
        text = path.read_text()
        # client.<operation>(...) and the paginated reads: dynamo.items("scan", ...), get_paginator("scan")
        for method in re.findall(r"\.(\w+)\(", text) + re.findall(r"(?:items|get_paginator)\(\s*\"(\w+)\"", text):
            if method in by_method:
                found.add(by_method[method])
    return found


def test_the_policy_covers_every_call_the_ops_code_makes_itself():
    """A new boto3 call in the ops modules must be added to infra/operators.py. (Calls
    through the data modules were traced once: see the module docstring.)"""
    sources = [
        *sorted((ROOT / "prakerja" / "ops").glob("*.py")),
        ROOT / "functions" / "prakerja_flow" / "data" / "operations.py",
        ROOT / "functions" / "prakerja_flow" / "services" / "operator.py",
    ]
    granted = (
        set(operators.OPERATOR_TABLE_ACTIONS)
        | set(operators.OPERATOR_EXECUTION_ACTIONS)
        | set(operators.OPERATOR_STATE_MACHINE_ACTIONS)
        | set(operators.OPERATOR_TASK_ACTIONS)
        | set(operators.OPERATOR_FUNCTION_ACTIONS)
    )
    calls = {call for service in ("dynamodb", "stepfunctions", "lambda") for call in _service_calls(service, sources)}
    assert {
        "dynamodb:Scan",
        "dynamodb:BatchGetItem",
        "states:RedriveExecution",
        "states:ListExecutions",
        "lambda:GetFunctionConfiguration",
    } <= calls
    assert calls <= granted, calls - granted


def test_without_a_principal_there_is_a_policy_but_no_role():
    import aws_cdk as cdk

    from infra.system import build, cdk_json_context

    context = {k: v for k, v in TEST_CONTEXT.items() if k != "operatorPrincipalArn"}
    app = cdk.App(context={**cdk_json_context(), **context}, analytics_reporting=False)
    system = build(app)
    assert system.workflow.operators.role is None
    assert system.workflow.operators.policy is not None


def test_policy_template_has_no_unexpected_statements(policy):
    assert set(_by_sid(policy)) == {
        "Table",
        "TableKey",
        "ListExecutions",
        "Executions",
        "PayoutRunExecutions",
        "FailWaitingTasks",
        "FunctionSettings",
        "NikLookup",
    }


def test_function_settings_only_of_this_environments_api_function(synth, policy, workflow):
    statement = _by_sid(policy)["FunctionSettings"]
    assert as_list(statement["Action"]) == ["lambda:GetFunctionConfiguration"]
    function = workflow.functions[catalogue.API_FUNCTION_KEY]
    assert statement["Resource"] == getatt_arn(function)
