"""Every ASL definition in statemachines/ passes asl-validator (npm, pinned in
package-lock.json and installed by scripts/setup.sh), as written and as deployed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from infra.stacks.workflow import definition
from prakerja_flow import catalogue

ROOT = catalogue.PROJECT_ROOT
VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"
ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))


def validate(*paths: Path) -> subprocess.CompletedProcess:
    assert VALIDATOR.exists(), f"{VALIDATOR} is missing: run scripts/setup.sh (npm ci) to install asl-validator"
    args = [str(VALIDATOR)]
    for path in paths:
        args += ["--json-path", str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def test_there_are_definitions_to_validate():
    assert catalogue.LIFECYCLE_ASL in ASL_FILES


def test_every_definition_is_valid_as_written_and_as_deployed(tmp_path):
    """As written (with ${...} placeholders), and the lifecycle as CDK deploys it: with the
    safety-net timeout and the placeholders replaced by function ARNs (ARN check on)."""
    arns = {
        spec.key: f"arn:aws:lambda:ap-southeast-3:123456789012:function:staging-{spec.function_name}"
        for spec in catalogue.FUNCTIONS
    }
    deployed = definition(catalogue.LIFECYCLE)  # with the lifecycle's config.LIFECYCLE_TIMEOUT
    for name, arn in catalogue.asl_substitutions(arns).items():
        deployed = deployed.replace("${" + name + "}", arn)
    assert not re.search(r"\$\{\w+\}", deployed)
    deployed_path = tmp_path / "participant_lifecycle.deployed.asl.json"
    deployed_path.write_text(deployed)

    result = validate(*ASL_FILES, deployed_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validator_rejects_a_broken_definition(tmp_path):
    broken = json.loads(catalogue.LIFECYCLE_ASL.read_text())
    broken["States"]["RegistrationAccepted"]["Next"] = "NoSuchState"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken))
    result = validate(path)
    assert result.returncode != 0
    assert "NoSuchState" in result.stdout + result.stderr


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_placeholders_are_catalogue_substitutions(path):
    placeholders = set(re.findall(r"\$\{(\w+)\}", path.read_text()))
    known = {spec.asl_substitution for spec in catalogue.FUNCTIONS if spec.asl_substitution}
    assert placeholders <= known
