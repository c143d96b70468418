"""The Lambda dependencies layer: AWS's public Powertools for AWS Lambda (Python) layer.

The layer version is the one pinned for the project in pyproject.toml (so local tests
and Lambda run the same Powertools), resolved at deploy time from the public SSM
parameter Powertools publishes for every release. See docs/decisions/0003-powertools-layer.md.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from prakerja_flow import catalogue

PACKAGE = "aws-lambda-powertools"
PYTHON_RUNTIME = "python3.13"  # matches lambda_.Runtime.PYTHON_3_13 used by every function
ARCHITECTURE = "arm64"  # matches lambda_.Architecture.ARM_64
LAYER_ACCOUNT = "017000801446"  # AWS account that publishes the Powertools layers
SSM_PARAMETER = "/aws/service/powertools/python/{arch}/{python}/{version}"

_PIN = re.compile(r"^\s*" + re.escape(PACKAGE) + r"(\[[^\]]*\])?\s*==\s*([0-9][0-9a-z.]*)\s*$")


def pinned_version(pyproject: Path = catalogue.PROJECT_ROOT / "pyproject.toml") -> str:
    """The exact Powertools version the project pins (`aws-lambda-powertools[...]==X.Y.Z`)."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    for dep in deps:
        match = _PIN.match(dep)
        if match:
            return match.group(2)
    raise ValueError(f"{pyproject} does not pin {PACKAGE} with '=='; the Lambda layer needs an exact version")


def ssm_parameter_name(version: str | None = None) -> str:
    return SSM_PARAMETER.format(arch=ARCHITECTURE, python=PYTHON_RUNTIME, version=version or pinned_version())


def layer(scope: Construct, override_arn: str | None = None) -> lambda_.ILayerVersion:
    """The Powertools layer for python3.13 on arm64.

    `override_arn` (context `powertoolsLayerArn`) pins a literal layer ARN instead, for a
    Region where the SSM parameter of the pinned version is missing.
    """
    arn = override_arn or ssm.StringParameter.value_for_string_parameter(scope, ssm_parameter_name())
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", arn)
