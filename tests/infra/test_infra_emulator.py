"""infra/emulator.py: MiniStack's gaps worked round in the synthesized templates, only
for emulator deploys (-c emulator=ministack)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.infra_testlib import resources

from infra import emulator
from prakerja_flow import catalogue

ENDPOINT = "http://127.0.0.1:4599"


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, dict]:
    """`python infra/app.py` for env=dev, as a real deploy synthesizes it (no emulator)."""
    out = tmp_path_factory.mktemp("assembly")
    env = {"CDK_OUTDIR": str(out), "CDK_CONTEXT_JSON": json.dumps({"env": "dev"})}
    import os

    subprocess.run(
        [sys.executable, str(catalogue.PROJECT_ROOT / "infra" / "app.py")],
        check=True,
        env={**os.environ, **env},
        capture_output=True,
    )
    return {p.name: json.loads(p.read_text()) for p in out.glob("*.template.json")}


def test_only_an_emulator_synthesis_is_rewritten():
    assert emulator.settings(lambda key: None) is None
    context = {"emulator": "ministack", "emulatorEndpoint": ENDPOINT, "powertoolsLayerArn": "arn:aws:lambda:x"}
    assert emulator.settings(context.get) == ENDPOINT
    with pytest.raises(ValueError, match="powertoolsLayerArn"):
        emulator.settings({**context, "powertoolsLayerArn": None}.get)
    with pytest.raises(ValueError, match="must be 'ministack'"):
        emulator.settings({**context, "emulator": "localstack"}.get)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://10.0.0.5:4566",
        "https://127.0.0.1:4566",
        "http://127.0.0.1",
        "http://example.org:4566",
        "http://127.0.0.1:4566/x",
        None,
    ],
)
def test_the_emulator_endpoint_must_be_loopback(endpoint):
    with pytest.raises(ValueError, match="loopback"):
        emulator.check_endpoint(endpoint)


def test_every_workaround_names_the_ministack_behaviour_it_covers():
    assert len({w.name for w in emulator.WORKAROUNDS}) == len(emulator.WORKAROUNDS)
    assert all(len(w.ministack_behaviour.split()) >= 8 for w in emulator.WORKAROUNDS)


def test_secret_refs_become_getatt_id(templates):
    data = templates["Data.template.json"]
    secrets = set(resources(data, "AWS::SecretsManager::Secret"))
    assert secrets and json.dumps({"Ref": next(iter(secrets))}) in json.dumps(data)
    rewritten = json.dumps(emulator.rewrite_template(data, ENDPOINT))
    for secret in secrets:
        assert json.dumps({"Ref": secret}) not in rewritten
        assert json.dumps({"Fn::GetAtt": [secret, "Id"]}) in rewritten


def test_waf_associations_are_dropped_and_nothing_else(templates):
    api = templates["Api.template.json"]
    assert resources(api, "AWS::WAFv2::WebACLAssociation")
    rewritten = emulator.rewrite_template(json.loads(json.dumps(api)), ENDPOINT)
    assert not resources(rewritten, "AWS::WAFv2::WebACLAssociation")
    assert resources(rewritten, "AWS::WAFv2::WebACL") == resources(api, "AWS::WAFv2::WebACL")
    assert len(rewritten["Resources"]) == len(api["Resources"]) - 1


def test_function_urls_point_at_the_emulator_gateway(templates):
    provider = templates["TestProvider.template.json"]
    rewritten = json.dumps(emulator.rewrite_template(provider, ENDPOINT))
    assert '"FunctionUrl"' in rewritten and f"{ENDPOINT}/_aws/lambda-url/" in rewritten
    assert (
        json.dumps(emulator.rewrite_template(templates["Workflow.template.json"], ENDPOINT)).count("/_aws/lambda-url/")
        == 0
    )


def test_schedules_are_disabled(templates):
    schedules = templates["Schedules.template.json"]
    assert {s["Properties"]["State"] for s in resources(schedules, "AWS::Scheduler::Schedule").values()} == {"ENABLED"}
    rewritten = emulator.rewrite_template(json.loads(json.dumps(schedules)), ENDPOINT)
    assert {s["Properties"]["State"] for s in resources(rewritten, "AWS::Scheduler::Schedule").values()} == {"DISABLED"}


def test_generated_secrets_say_the_aws_default_length(templates):
    data = templates["Data.template.json"]
    secrets = resources(data, "AWS::SecretsManager::Secret")
    assert [s["Properties"]["GenerateSecretString"] for s in secrets.values()] == [{}]
    rewritten = emulator.rewrite_template(json.loads(json.dumps(data)), ENDPOINT)
    assert [
        s["Properties"]["GenerateSecretString"] for s in resources(rewritten, "AWS::SecretsManager::Secret").values()
    ] == [{"PasswordLength": 32}]
