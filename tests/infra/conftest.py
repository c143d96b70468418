"""One CDK synthesis per test session, shared by every infra test.

The app is built exactly as infra/app.py builds it (cdk.json context, cdk-nag checks),
for the environment "staging" given as context, like `cdk synth -c env=staging
-c paymentProvider=http -c paymentProviderUrl=... -c operatorPrincipalArn=...`
(infra_testlib.TEST_CONTEXT).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from support.infra_testlib import TEST_CONTEXT  # noqa: E402

from infra.system import System, add_compliance_checks, build, cdk_json_context  # noqa: E402


@dataclass(frozen=True)
class Synthesized:
    system: System
    outdir: Path
    templates: dict[str, Template]  # by stack construct id: Data, Workflow, Api, Schedules, Observability

    def template(self, stack: cdk.Stack) -> Template:
        return self.templates[stack.node.id]

    def raw(self, stack: cdk.Stack) -> dict:
        return self.templates[stack.node.id].to_json()

    def template_files(self) -> dict[str, Path]:
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        return {
            name: self.outdir / artifact["properties"]["templateFile"]
            for name, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }


def _nag_failures(outdir: Path) -> str:
    report = outdir / "validation-report.json"
    if not report.exists():
        return "(no validation report)"
    lines = []
    for plugin in json.loads(report.read_text()).get("pluginReports", []):
        for violation in plugin.get("violations", []):
            paths = ", ".join(c["constructPath"] for c in violation.get("violatingConstructs", []))
            lines.append(f"{violation['ruleName']}: {violation.get('description', '')} at {paths}")
    return "\n".join(lines) or "(validation report lists no violations)"


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(context={**cdk_json_context(), **TEST_CONTEXT}, outdir=str(outdir), analytics_reporting=False)
    system = build(app)
    add_compliance_checks(app)
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag findings (or another validation) failed synthesis
        pytest.fail(f"synthesis failed: {error}\n{_nag_failures(outdir)}", pytrace=False)
    templates = {stack.node.id: Template.from_stack(stack) for stack in system.stacks}
    return Synthesized(system=system, outdir=outdir, templates=templates)
