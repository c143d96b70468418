"""Environment selection (`-c env=...`) and the CDK app's configuration files."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

from infra.environment import DEFAULT_ENV, DeployEnv
from infra.system import CDK_JSON, cdk_json_context
from prakerja_flow import catalogue


def test_default_environment_is_dev():
    assert DeployEnv.from_context(cdk.App()).name == DEFAULT_ENV == "dev"


def test_environment_and_options_come_from_context():
    app = cdk.App(
        context={
            "env": "prod",
            "alarmEmail": "ops@example.org",
            "paymentProvider": "http",
            "paymentProviderUrl": "https://api.provider.example",
        }
    )
    env = DeployEnv.from_context(app)
    assert (env.name, env.alarm_email, env.payment_provider) == ("prod", "ops@example.org", "http")
    assert env.prefixed(catalogue.TABLE_NAME) == f"prod-{catalogue.TABLE_NAME}"


@pytest.mark.parametrize("name", ["", "Prod", "1st", "dev-2", "a", "averyveryverylongname"])
def test_environment_names_that_would_break_resource_names_are_rejected(name):
    with pytest.raises(ValueError):
        DeployEnv(name)


def test_session_synthesis_used_the_context_environment(synth):
    assert synth.system.deploy_env.name == "staging"


def test_cdk_json_runs_the_app_and_pins_behaviour():
    config = json.loads(CDK_JSON.read_text())
    assert config["app"] == "python infra/app.py"
    context = cdk_json_context()
    assert "env" not in context, "the default environment lives in code (dev); pass -c env=... to change it"
    # Classic Fn::ImportValue exports: "weak" references use Fn::GetStackOutput, which
    # neither cfn-lint nor moto understands yet (docs/decisions/0002-cdk-stacks.md).
    assert context["@aws-cdk/core:defaultCrossStackReferences"] == "strong"


def test_package_json_pins_asl_validator_exactly():
    package = json.loads((catalogue.PROJECT_ROOT / "package.json").read_text())
    version = package["devDependencies"]["asl-validator"]
    assert version[0].isdigit(), f"asl-validator must be pinned to an exact version, not {version!r}"
    lock = json.loads((catalogue.PROJECT_ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/asl-validator"]["version"] == version


def test_payment_provider_url_comes_from_context_and_must_be_https():
    app = cdk.App(
        context={"paymentProvider": "http", "paymentProviderUrl": "https://api.provider.example/disbursement"}
    )
    assert DeployEnv.from_context(app).payment_provider_url == "https://api.provider.example/disbursement"
    with pytest.raises(ValueError, match="https://"):
        DeployEnv("dev", payment_provider="http", payment_provider_url="http://api.provider.example")
    with pytest.raises(ValueError, match="paymentProviderUrl"):
        DeployEnv("dev", payment_provider="http")  # the HTTP provider cannot run without a URL
    assert DeployEnv("dev").payment_provider_url is None  # the test provider's URL comes from its stack


@pytest.mark.parametrize(
    "url",
    [
        "https://api.provider.example/v1",
        "https://api.provider.example/v1/",
        "https://api.provider.example/disbursement/v2",
    ],
)
def test_a_provider_url_ending_in_an_api_version_is_refused(url):
    """payments/http.py appends /v1/... itself: docs/deploy.md's .../v1 sent every request
    to /v1/v1/..., whose 404 read as 'account not found' for every participant."""
    with pytest.raises(ValueError, match="appends /v1"):
        DeployEnv("staging", payment_provider="http", payment_provider_url=url)


@pytest.mark.parametrize("url", ["https://api.provider.example?x=1", "https://api.provider.example#v1", "https:///v1"])
def test_a_provider_url_with_a_query_fragment_or_no_host_is_refused(url):
    with pytest.raises(ValueError, match="paymentProviderUrl"):
        DeployEnv("staging", payment_provider="http", payment_provider_url=url)


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_the_fake_provider_is_never_deployed(name):
    """In-process, each Lambda process would have its own empty account directory."""
    with pytest.raises(ValueError, match="nobody could ever be paid"):
        DeployEnv(name, payment_provider="fake")


def test_development_environments_default_to_the_test_provider_and_only_they_may_have_it():
    assert DeployEnv("dev").payment_provider == "test" and DeployEnv("devrizky").deploys_test_provider
    with pytest.raises(ValueError, match="only development environments"):
        DeployEnv("staging", payment_provider="test")
    with pytest.raises(ValueError, match="not a development environment"):
        DeployEnv("staging")  # no silent default outside development


def test_test_accounts_other_is_checked():
    assert DeployEnv("dev", test_accounts_other="not_found").test_accounts_other == "not_found"
    with pytest.raises(ValueError, match="testAccountsOther"):
        DeployEnv("dev", test_accounts_other="rich")


def test_operator_principal_comes_from_context_and_must_be_an_arn():
    arn = "arn:aws:iam::111122223333:role/Operators"
    assert DeployEnv.from_context(cdk.App(context={"operatorPrincipalArn": arn})).operator_principal_arn == arn
    with pytest.raises(ValueError, match="operatorPrincipalArn"):
        DeployEnv("dev", operator_principal_arn="Operators")


def test_only_a_development_environment_may_run_on_a_programme_clock():
    assert DeployEnv("dev", programme_clock=True).programme_clock
    assert DeployEnv.from_context(cdk.App(context={"programmeClock": "true"})).programme_clock
    assert not DeployEnv.from_context(cdk.App()).programme_clock
    with pytest.raises(ValueError, match="only development environments"):
        DeployEnv(
            "prod", payment_provider="http", payment_provider_url="https://api.provider.example", programme_clock=True
        )
    with pytest.raises(ValueError, match="programmeClock must be true or false"):
        DeployEnv.from_context(cdk.App(context={"programmeClock": "yes"}))
