"""cdk-nag (AWS Solutions) and cfn-lint over every synthesized template."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs

# Region the system runs in (Jakarta); cfn-lint checks resource availability there.
LINT_REGIONS = ["ap-southeast-3"]
# W3005: CDK writes DependsOn that is also implied by Ref/GetAtt.
LINT_IGNORE = ["W3005"]

# Every cdk-nag acknowledgement in the app, and how many resources carry it. A new one
# must be added here on purpose (with its reason in the code that acknowledges it).
EXPECTED_ACKNOWLEDGEMENTS = {
    "AwsSolutions-SMG4",  # payment provider secret: rotation needs the provider's API (later issue)
    "AwsSolutions-L1",  # python3.13 is the newest runtime the project supports
    # X-Ray, Step Functions task tokens, SFN log delivery: no resource-level permissions
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
    "AwsSolutions-APIG4",  # the public API documentation routes (/openapi.json, /swagger)
    "AwsSolutions-COG4",  # machine clients sign requests (Lambda REQUEST authorizer), not Cognito users
    # API client secrets: one per key, created by operators, <table>/api-clients/*
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:staging-prakerja-flow/api-clients/*]",
    "AwsSolutions-SQS3",  # the queue is the DLQ
    # operator policy (prakerja ops): executions are named per participant at run time
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:staging-participant-lifecycle:*]",
    # ...and reads the payout run's executions, named by Scheduler at run time
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:staging-payout-run:*]",
}


def test_cdk_nag_finds_nothing_unacknowledged(synth):
    # The session synthesis fails (and every test with it) on any unacknowledged finding;
    # this test states it and checks the report CDK wrote.
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    violations = [v for p in report.get("pluginReports", []) for v in p.get("violations", [])]
    assert violations == []


def test_acknowledgements_are_the_reviewed_ones_and_have_reasons(synth):
    acknowledged: dict[str, list[str]] = defaultdict(list)
    for stack in synth.system.stacks:
        for logical_id, resource in synth.raw(stack)["Resources"].items():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                assert len(rule.get("reason", "")) >= 40, f"{logical_id}: {rule['id']} needs a real reason"
                acknowledged[rule["id"]].append(f"{stack.node.id}/{logical_id}")
    assert set(acknowledged) == EXPECTED_ACKNOWLEDGEMENTS


def test_every_template_is_cfn_lint_clean(synth):
    files = synth.template_files()
    assert len(files) == len(synth.system.stacks)
    problems = {}
    for name, path in files.items():
        matches = lint(path.read_text(), config=ManualArgs(regions=LINT_REGIONS, ignore_checks=LINT_IGNORE))
        if matches:
            problems[name] = [str(m) for m in matches]
    assert problems == {}


def test_cfn_lint_would_catch_a_broken_template(synth):
    """Guards the guard: the same lint call flags a definition error."""
    template = synth.raw(synth.system.workflow)
    broken = json.loads(json.dumps(template))
    state_machine = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    definition = json.loads(state_machine["Properties"]["DefinitionString"])
    definition["StartAt"] = "NoSuchState"
    state_machine["Properties"]["DefinitionString"] = json.dumps(definition)
    matches = lint(json.dumps(broken), config=ManualArgs(regions=LINT_REGIONS, ignore_checks=LINT_IGNORE))
    assert any(m.rule.id.startswith("E") for m in matches)


@pytest.mark.parametrize("stack_id", ["Data", "Workflow", "Api", "Schedules", "Observability"])
def test_stack_names_carry_the_environment(synth, stack_id):
    stack = next(s for s in synth.system.stacks if s.node.id == stack_id)
    assert stack.stack_name == f"{synth.system.deploy_env.name}-prakerja-flow-{stack_id.lower()}"
