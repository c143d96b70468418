"""Development environments deploy a test payment provider (its own function behind a
function URL, its own table) and the functions call it with the HTTP adapter; other
environments deploy none and call -c paymentProviderUrl."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from support.infra_testlib import TEST_PAYMENT_PROVIDER_URL, getatt_arn, imported, lid, one, resources

from infra.system import add_compliance_checks, build, cdk_json_context
from prakerja_flow import catalogue
from prakerja_flow.data import test_provider_store


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    """`cdk synth -c env=dev` (cdk-nag included): the development default."""
    app = cdk.App(
        context={**cdk_json_context(), "env": "dev"},
        outdir=str(tmp_path_factory.mktemp("dev.out")),
        analytics_reporting=False,
    )
    system = build(app)
    add_compliance_checks(app)
    app.synth()
    return system


def env_of(template: dict, function_name: str) -> dict:
    for fn in resources(template, "AWS::Lambda::Function").values():
        if fn["Properties"]["FunctionName"] == function_name:
            return fn["Properties"]["Environment"]["Variables"]
    raise AssertionError(f"no function {function_name}")


def raw(stack) -> dict:
    return cdk.assertions.Template.from_stack(stack).to_json()


def test_dev_deploys_the_test_provider_behind_a_function_url(dev):
    assert dev.deploy_env.payment_provider == "test" and dev.test_provider in dev.stacks
    template = raw(dev.test_provider)
    _, url = one(template, "AWS::Lambda::Url")
    assert url["Properties"]["AuthType"] == "NONE"  # it checks the provider API key itself, as a real API does
    assert url["Properties"]["TargetFunctionArn"] == getatt_arn(dev.test_provider.function)
    _, table = one(template, "AWS::DynamoDB::Table")
    assert table["Properties"]["TableName"] == "dev-prakerja-flow-test-provider"
    assert [k["AttributeName"] for k in table["Properties"]["KeySchema"]] == ["pk", "sk"]
    assert test_provider_store.table_definition("x")["KeySchema"] == table["Properties"]["KeySchema"]
    env = env_of(template, "dev-prakerja-test-provider")
    assert env[test_provider_store.ENV_TABLE] == {"Ref": lid(dev.test_provider.table)}
    assert catalogue.ENV_PAYMENT_PROVIDER_SECRET in env  # the same key the functions present


def test_dev_functions_call_the_test_provider_with_the_http_adapter(dev):
    workflow, provider = raw(dev.workflow), raw(dev.test_provider)
    url = imported(provider, {"Fn::GetAtt": [lid(dev.test_provider.function_url), "FunctionUrl"]})
    for spec in catalogue.FUNCTIONS:
        env = env_of(workflow, f"dev-{spec.function_name}")
        assert env[catalogue.ENV_PAYMENT_PROVIDER] == "http"
        assert env.get(catalogue.ENV_PAYMENT_PROVIDER_URL) == (url if spec.calls_payment_provider else None)


def test_other_environments_deploy_no_test_provider_and_call_the_given_url(synth):
    system = synth.system
    assert system.test_provider is None and len(system.stacks) == 5
    workflow = synth.raw(system.workflow)
    payout = env_of(workflow, f"staging-{catalogue.by_key('pay-shard').function_name}")
    assert (payout[catalogue.ENV_PAYMENT_PROVIDER], payout[catalogue.ENV_PAYMENT_PROVIDER_URL]) == (
        "http",
        TEST_PAYMENT_PROVIDER_URL,
    )
