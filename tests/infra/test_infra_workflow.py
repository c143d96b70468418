"""WorkflowStack: one function per catalogue entry, least privilege, and the lifecycle
state machine built from the ASL file with the catalogue's substitutions."""

from __future__ import annotations

import json
import re

import pytest
from support.infra_testlib import (
    TEST_ENV,
    TEST_PAYMENT_PROVIDER_URL,
    as_list,
    getatt_arn,
    imported,
    lid,
    ref,
    resources,
)

from infra import powertools
from infra.stacks.workflow import ENV_PAYMENT_PROVIDER_SECRET, SEND_TASK_ACTIONS
from prakerja_flow import catalogue, config, settings

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
SPECS = {spec.key: spec for spec in catalogue.FUNCTIONS}
# ADR 0018's statements, on the identifiers key and the NIK lookup key (test_infra_identifiers.py).
IDENTIFIER_SIDS = {"SealIdentifiers", "NikLookup", "OpenIdentifiers"}


@pytest.fixture(scope="module")
def workflow(synth):
    return synth.system.workflow


@pytest.fixture(scope="module")
def template(synth, workflow) -> dict:
    return synth.raw(workflow)


@pytest.fixture(scope="module")
def all_templates(synth) -> list[dict]:
    # The API stack's grants to the request table and the API client secrets are not the
    # catalogue's; tests/infra/test_infra_api.py checks them exactly.
    api = synth.system.api
    api_grants = {lid(api.authorizer_policy), lid(api.api_function_policy)}
    templates = [synth.raw(stack) for stack in synth.system.stacks]
    return [{**t, "Resources": {k: v for k, v in t["Resources"].items() if k not in api_grants}} for t in templates]


def _function(template, workflow, key) -> dict:
    return template["Resources"][lid(workflow.functions[key])]


def _statements_of_role(all_templates, role_lid: str) -> list[dict]:
    """Every statement of every inline policy attached to the role, in any stack."""
    statements = []
    for template in all_templates:
        for policy in resources(template, "AWS::IAM::Policy").values():
            roles = policy["Properties"].get("Roles", [])
            if {"Ref": role_lid} in roles or any(
                isinstance(r, dict) and "Fn::ImportValue" in r and role_lid in json.dumps(r) for r in roles
            ):
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement) -> set[str]:
    return set(as_list(statement["Action"]))


def test_every_catalogue_function_is_deployed_and_nothing_else(template):
    names = {f["Properties"]["FunctionName"] for f in resources(template, "AWS::Lambda::Function").values()}
    assert names == {f"{TEST_ENV}-{spec.function_name}" for spec in catalogue.FUNCTIONS}


@pytest.mark.parametrize("key", list(SPECS))
def test_function_configuration_comes_from_the_catalogue(template, workflow, key):
    spec = SPECS[key]
    props = _function(template, workflow, key)["Properties"]
    assert props["Handler"] == spec.handler
    assert props["Description"] == spec.description
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == int(spec.timeout.total_seconds())
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogGroup"]["Ref"] in resources(template, "AWS::Logs::LogGroup")


@pytest.mark.parametrize("key", list(SPECS))
def test_function_environment(synth, template, workflow, key):
    spec = SPECS[key]
    data = synth.system.data
    env = _function(template, workflow, key)["Properties"]["Environment"]["Variables"]
    # The state machine ARN is built from its fixed name: a reference would be a cycle.
    state_machine_arn = env[catalogue.ENV_STATE_MACHINE]
    rendered = json.dumps(state_machine_arn)
    assert rendered.endswith(f':stateMachine:{TEST_ENV}-{catalogue.STATE_MACHINE_NAME}"]]}}')
    assert "GetAtt" not in rendered and lid(workflow.state_machine) not in rendered
    expected = catalogue.function_environment(
        table_name=imported(synth.raw(data), ref(data.table)),
        state_machine=state_machine_arn,
        payment_provider=synth.system.deploy_env.payment_provider,
    )
    expected["POWERTOOLS_LOG_LEVEL"] = "INFO"
    if spec.seals_identifiers or spec.opens_identifiers:
        expected[settings.ENV_IDENTIFIERS_KEY_ARN] = imported(synth.raw(data), getatt_arn(data.identifiers_key))
    if spec.seals_identifiers:
        expected[settings.ENV_NIK_LOOKUP_KEY_ARN] = imported(synth.raw(data), getatt_arn(data.nik_lookup_key))
        expected[settings.ENV_NIK_LOOKUP_KEY_VERSION] = "v1"
    if spec.calls_payment_provider:
        expected[ENV_PAYMENT_PROVIDER_SECRET] = imported(synth.raw(data), ref(data.payment_provider_secret))
        expected[catalogue.ENV_PAYMENT_PROVIDER_URL] = TEST_PAYMENT_PROVIDER_URL
    expected.update(spec.env)
    assert env == expected


def test_functions_use_the_pinned_powertools_layer(template):
    layer_params = {
        name: p
        for name, p in template["Parameters"].items()
        if p.get("Default", "").startswith("/aws/service/powertools/")
    }
    assert len(layer_params) == 1
    ((name, param),) = layer_params.items()
    assert param["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert param["Default"] == f"/aws/service/powertools/python/arm64/python3.13/{powertools.pinned_version()}"
    for function in resources(template, "AWS::Lambda::Function").values():
        assert function["Properties"]["Layers"] == [{"Ref": name}]


def test_pinned_powertools_version_is_the_project_pin():
    assert re.fullmatch(r"\d+\.\d+\.\d+", powertools.pinned_version())


@pytest.mark.parametrize("key", list(SPECS))
def test_function_role_is_exactly_what_the_catalogue_grants(template, all_templates, synth, workflow, key):
    spec = SPECS[key]
    data = synth.system.data
    role_lid = lid(workflow.roles[key])
    role = template["Resources"][role_lid]["Properties"]
    assert "ManagedPolicyArns" not in role, "no AWS managed policies (AWSLambdaBasicExecutionRole is replaced)"
    statements = _statements_of_role(all_templates, role_lid)
    granted: dict[str, list] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in _actions(statement):
            granted.setdefault(action, []).extend(as_list(statement["Resource"]))

    table_arn = imported(synth.raw(data), getatt_arn(data.table))
    expected_table_resources = [table_arn] + [{"Fn::Join": ["", [table_arn, f"/index/{i}"]]} for i in data.index_names]
    dynamo = {a for a in granted if a.startswith("dynamodb:")}
    assert dynamo == set(spec.table_actions)
    for action in dynamo:
        assert granted[action] == expected_table_resources

    states = {a for a in granted if a.startswith("states:")}
    expected_states = set()
    if spec.sends_task_tokens:
        expected_states |= set(SEND_TASK_ACTIONS)
    if spec.starts_executions:
        expected_states.add("states:StartExecution")
    if spec.reads_executions:
        expected_states |= {"states:DescribeExecution", "states:GetExecutionHistory", "states:ListExecutions"}
    assert states == expected_states
    if spec.starts_executions:
        assert f":stateMachine:{TEST_ENV}-{catalogue.STATE_MACHINE_NAME}" in json.dumps(
            granted["states:StartExecution"]
        )

    secrets = {a for a in granted if a.startswith("secretsmanager:")}
    assert secrets == ({"secretsmanager:GetSecretValue"} if spec.calls_payment_provider else set())

    sqs = {a for a in granted if a.startswith("sqs:")}
    assert sqs == ({"sqs:SendMessage"} if spec.schedule else set())

    # "*" only for actions that have no resource-level permissions.
    star_actions = {a for a, res in granted.items() if "*" in res}
    assert star_actions <= XRAY_ACTIONS | set(SEND_TASK_ACTIONS)
    assert set(SEND_TASK_ACTIONS) & star_actions == (set(SEND_TASK_ACTIONS) if spec.sends_task_tokens else set())


def test_payment_provider_url_and_secret_reach_exactly_the_functions_that_call_it(
    synth, template, workflow, all_templates
):
    """-c paymentProviderUrl=... ends up in PAYMENT_PROVIDER_BASE_URL of the functions that
    call the provider (the payout run's shard function, reconciliation), with read access
    to the secret only."""
    callers = {key for key, spec in SPECS.items() if spec.calls_payment_provider}
    assert callers == {"pay-shard", "reconcile"}
    data = synth.system.data
    secret = imported(synth.raw(data), ref(data.payment_provider_secret))
    for key in SPECS:
        env = _function(template, workflow, key)["Properties"]["Environment"]["Variables"]
        assert (env.get(catalogue.ENV_PAYMENT_PROVIDER_URL) == TEST_PAYMENT_PROVIDER_URL) == (key in callers)
        assert env.get(catalogue.ENV_PAYMENT_PROVIDER) == "http"
        reads = [
            s
            for s in _statements_of_role(all_templates, lid(workflow.roles[key]))
            if "secretsmanager:GetSecretValue" in _actions(s)
        ]
        assert [as_list(s["Resource"]) for s in reads] == ([[secret]] if key in callers else [])


@pytest.mark.parametrize("key", list(SPECS))
def test_kms_use_is_limited_to_the_services_that_need_it(all_templates, workflow, key):
    spec = SPECS[key]
    kms = [
        s
        for s in _statements_of_role(all_templates, lid(workflow.roles[key]))
        if any(a.startswith("kms:") for a in _actions(s)) and s.get("Sid") not in IDENTIFIER_SIDS
    ]
    via = sorted(json.dumps(s["Condition"]["StringEquals"]["kms:ViaService"]) for s in kms)
    expected = (["dynamodb."] if spec.table_actions else []) + (
        ["secretsmanager."] if spec.calls_payment_provider else []
    )
    assert len(via) == len(expected)
    assert all(any(e in v for v in via) for e in expected)
    writes = set(spec.table_actions) - set(catalogue.READ)
    dynamo_kms = [s for s in kms if "dynamodb." in json.dumps(s["Condition"])]
    if dynamo_kms:
        assert ("kms:GenerateDataKey" in _actions(dynamo_kms[0])) == bool(writes)


# --- state machine ------------------------------------------------------------------


MACHINES = {m.key: m for m in catalogue.STATE_MACHINES}


def _machine(template, workflow, key: str) -> dict:
    return template["Resources"][lid(workflow.state_machines[key])]


@pytest.fixture(scope="module", params=sorted(MACHINES))
def machine(request, template, workflow) -> tuple[catalogue.StateMachineSpec, dict]:
    """Each catalogue state machine (lifecycle, payout run) and its synthesized properties."""
    return MACHINES[request.param], _machine(template, workflow, request.param)["Properties"]


def test_the_workflow_stack_has_exactly_the_catalogue_state_machines(template, workflow):
    found = resources(template, "AWS::StepFunctions::StateMachine")
    assert sorted(found) == sorted(lid(workflow.state_machines[m.key]) for m in catalogue.STATE_MACHINES)


def test_state_machine_basics(machine):
    spec, state_machine = machine
    assert state_machine["StateMachineName"] == f"{TEST_ENV}-{spec.name}"
    assert state_machine["StateMachineType"] == "STANDARD"
    assert state_machine["TracingConfiguration"] == {"Enabled": True}
    logging = state_machine["LoggingConfiguration"]
    assert logging["Level"] in ("ALL", "ERROR")
    assert logging["IncludeExecutionData"] is False, "execution data holds participant data"
    assert len(logging["Destinations"]) == 1


def test_definition_is_the_asl_file_plus_the_safety_net_timeout(machine):
    spec, state_machine = machine
    definition = json.loads(state_machine["DefinitionString"])
    timeout = definition.pop("TimeoutSeconds")
    assert definition == json.loads(spec.asl.read_text())
    assert timeout == int(spec.timeout.total_seconds())
    assert 0 < timeout < 365 * 24 * 3600, "must stay under Step Functions' 1-year execution limit"
    if spec is catalogue.PAYOUT_RUN:
        assert timeout < config.PAYOUT_RUN_INTERVAL.total_seconds(), "one run ends before the next starts"


def test_substitutions_are_the_machines_own_functions(machine, workflow):
    spec, state_machine = machine
    own = catalogue.functions_of(spec)
    expected = {s.asl_substitution: getatt_arn(workflow.functions[s.key]) for s in own}
    assert own and state_machine["DefinitionSubstitutions"] == expected
    placeholders = set(re.findall(r"\$\{(\w+)\}", state_machine["DefinitionString"]))
    assert placeholders == set(expected)


def test_every_asl_function_belongs_to_exactly_one_state_machine():
    owners = [s.key for m in catalogue.STATE_MACHINES for s in catalogue.functions_of(m)]
    assert sorted(owners) == sorted(s.key for s in catalogue.FUNCTIONS if s.asl_substitution)


def test_state_machine_role_invokes_exactly_its_own_functions(template, workflow, machine):
    spec, props = machine
    role_lid = props["RoleArn"]["Fn::GetAtt"][0]
    statements = _statements_of_role([template], role_lid)
    invoke = [s for s in statements if "lambda:InvokeFunction" in _actions(s)]
    assert len(invoke) == 1
    expected = [getatt_arn(workflow.functions[s.key]) for s in catalogue.functions_of(spec)]
    assert sorted(map(json.dumps, as_list(invoke[0]["Resource"]))) == sorted(map(json.dumps, expected))


def test_a_stack_deployed_without_programme_clock_keeps_the_wall_clock(template, workflow):
    """-c programmeClock=true (development only) is what sets PROGRAMME_CLOCK; the session's
    staging synthesis has none, so no function could be moved off the wall clock."""
    assert workflow.deploy_env.programme_clock is False
    for key in SPECS:
        env = _function(template, workflow, key)["Properties"]["Environment"]["Variables"]
        assert settings.ENV_PROGRAMME_CLOCK not in env
