"""Smoke test: the synthesized stacks create in moto's CloudFormation, in dependency
order, and the key resources exist and are wired to each other.

moto is not AWS: it ignores PITR, arm64, API Gateway stages, Scheduler schedules, WAF,
alarms and more (docs: shared notes "CDK here"). This proves the wiring, not deployability.
Adaptations made for moto, each because of a moto limitation, not of the templates:
- the Powertools layer's public SSM parameter (/aws/... names are reserved) points to a test one;
- AWS::SecretsManager::Secret (no CloudFormation support in moto) is created through the
  Secrets Manager API and its references inlined;
- AWS::CloudWatch::Alarm (no support) is replaced by its ARN where the dashboard refers to it;
- DefinitionSubstitutions (ignored by moto) are applied with Fn::Sub, as AWS would.
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from support.infra_testlib import TEST_ENV

from prakerja_flow import catalogue, routes
from prakerja_flow.data import schema

REGION = "ap-southeast-3"
BOOTSTRAP_QUALIFIER = "hnb659fds"
TEST_LAYER_PARAMETER = "/test/powertools-layer"


def _replace(node, match, value):
    if isinstance(node, dict):
        if node == match:
            return value
        return {k: _replace(v, match, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, match, value) for v in node]
    return node


def _zip_dir(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


def _upload_assets(outdir: Path, s3, bucket: str) -> None:
    for manifest in outdir.glob("*.assets.json"):
        for asset in json.loads(manifest.read_text()).get("files", {}).values():
            source = outdir / asset["source"]["path"]
            body = _zip_dir(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
            for destination in asset["destinations"].values():
                s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)


def _adapt(template: dict, account: str, secrets) -> dict:
    template = json.loads(json.dumps(template))
    for parameter in template.get("Parameters", {}).values():
        if str(parameter.get("Default", "")).startswith("/aws/service/powertools/"):
            parameter["Default"] = TEST_LAYER_PARAMETER
    for logical_id, resource in list(template["Resources"].items()):
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SecretsManager::Secret":
            arn = secrets.create_secret(
                Name=props["Name"], Description=props.get("Description", ""), SecretString="{}"
            )["ARN"]
            del template["Resources"][logical_id]
            template = _replace(template, {"Ref": logical_id}, arn)
        elif resource["Type"] == "AWS::CloudWatch::Alarm":
            arn = f"arn:aws:cloudwatch:{REGION}:{account}:alarm:{props['AlarmName']}"
            template = _replace(template, {"Fn::GetAtt": [logical_id, "Arn"]}, arn)
        elif resource["Type"] == "AWS::StepFunctions::StateMachine" and "DefinitionSubstitutions" in props:
            props["DefinitionString"] = {"Fn::Sub": [props["DefinitionString"], props.pop("DefinitionSubstitutions")]}
    return template


@pytest.fixture(scope="module")
def world(synth):
    """Creates every stack in moto; yields (boto3 session, stack statuses by stack id)."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "not supported by moto's CloudFormation implementation"
            session = boto3.Session(region_name=REGION)
            account = session.client("sts").get_caller_identity()["Account"]
            ssm = session.client("ssm")
            ssm.put_parameter(Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version", Value="30", Type="String")
            ssm.put_parameter(
                Name=TEST_LAYER_PARAMETER,
                Value=f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:1",
                Type="String",
            )
            s3 = session.client("s3")
            bucket = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{account}-{REGION}"
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            _upload_assets(synth.outdir, s3, bucket)

            cfn = session.client("cloudformation")
            secrets = session.client("secretsmanager")
            statuses = {}
            for stack in synth.system.stacks:  # dependency order
                template = _adapt(synth.raw(stack), account, secrets)
                cfn.create_stack(
                    StackName=stack.stack_name,
                    TemplateBody=json.dumps(template),
                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
                )
                statuses[stack.node.id] = cfn.describe_stacks(StackName=stack.stack_name)["Stacks"][0]["StackStatus"]
            yield session, statuses


def test_every_stack_creates(world, synth):
    _, statuses = world
    assert statuses == {stack.node.id: "CREATE_COMPLETE" for stack in synth.system.stacks}


def test_tables_exist_as_schema_declares(world, synth):
    session, _ = world
    dynamodb = session.client("dynamodb")
    name = synth.system.data.table_name
    table = dynamodb.describe_table(TableName=name)["Table"]
    expected = schema.table_definition(name)
    assert table["KeySchema"] == expected["KeySchema"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == sorted(n for n, _, _ in schema.GSIS)
    idempotency = schema.idempotency_table_definition(name)["TableName"]
    assert dynamodb.describe_table(TableName=idempotency)["Table"]["KeySchema"] == [
        {"AttributeName": schema.IDEMPOTENCY_KEY_ATTR, "KeyType": "HASH"}
    ]


def test_functions_point_at_the_real_state_machine_and_table(world, synth):
    session, _ = world
    sfn = session.client("stepfunctions")
    machines = {m["name"]: m for m in sfn.list_state_machines()["stateMachines"]}
    assert sorted(machines) == sorted(f"{TEST_ENV}-{m.name}" for m in catalogue.STATE_MACHINES)
    machine = machines[synth.system.workflow.state_machine_name]
    account = session.client("sts").get_caller_identity()["Account"]
    # The local runtime's helper builds the same ARN.
    assert catalogue.state_machine_arn(REGION, account, machine["name"]) == machine["stateMachineArn"]
    lambda_ = session.client("lambda")
    functions = {f["FunctionName"]: f for f in lambda_.list_functions()["Functions"]}
    for spec in catalogue.FUNCTIONS:
        function = functions[synth.system.workflow.function_name(spec)]
        assert function["Handler"] == spec.handler
        env = function["Environment"]["Variables"]
        # The ARN built from the fixed name (to break the cycle) is the real one.
        assert env[catalogue.ENV_STATE_MACHINE] == machine["stateMachineArn"]
        assert env[catalogue.ENV_TABLE] == synth.system.data.table_name


def test_state_machine_definition_names_the_deployed_functions(world, synth):
    session, _ = world
    sfn = session.client("stepfunctions")
    arns = {f["FunctionName"]: f["FunctionArn"] for f in session.client("lambda").list_functions()["Functions"]}
    for machine in sfn.list_state_machines()["stateMachines"]:
        definition = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
        assert not re.search(r"\$\{\w+\}", definition)
        spec = next(m for m in catalogue.STATE_MACHINES if machine["name"] == f"{TEST_ENV}-{m.name}")
        for function in catalogue.functions_of(spec):
            assert arns[synth.system.workflow.function_name(function)] in definition


def _path_prefixes(path: str) -> list[str]:
    """/a/b/c -> /a, /a/b, /a/b/c: the API Gateway resources a route needs."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: n + 1]) for n in range(len(parts))]


def test_other_key_resources_exist(world, synth):
    session, _ = world
    system = synth.system
    env = system.deploy_env
    queues = session.client("sqs").list_queues()["QueueUrls"]
    assert any(url.endswith(f"/{env.prefixed(catalogue.SERVICE_NAME)}-jobs-dlq") for url in queues)
    topics = [t["TopicArn"] for t in session.client("sns").list_topics()["Topics"]]
    assert any(arn.endswith(f":{env.prefixed(catalogue.SERVICE_NAME)}-alarms") for arn in topics)
    secrets = [s["Name"] for s in session.client("secretsmanager").list_secrets()["SecretList"]]
    assert f"{env.name}/{catalogue.SERVICE_NAME}/payment-provider" in secrets
    aliases = {a["AliasName"] for a in session.client("kms").list_aliases()["Aliases"]}
    assert f"alias/{env.prefixed(catalogue.SERVICE_NAME)}-data" in aliases
    apis = session.client("apigateway").get_rest_apis()["items"]
    (api,) = [a for a in apis if a["name"] == env.prefixed(f"{catalogue.SERVICE_NAME}-api")]
    paths = {r["path"] for r in session.client("apigateway").get_resources(restApiId=api["id"])["items"]}
    assert paths - {"/"} == {prefix for r in routes.ROUTES for prefix in _path_prefixes(r.path)}
    dashboards = [d["DashboardName"] for d in session.client("cloudwatch").list_dashboards()["DashboardEntries"]]
    assert env.prefixed(catalogue.SERVICE_NAME) in dashboards
