"""Builds the whole system into a CDK app: the one place that wires the stacks together.

Used by infra/app.py (cdk synth/deploy) and by tests/infra (one synthesis per session).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from prakerja_flow import catalogue

from .environment import DeployEnv
from .stacks.api import ApiStack
from .stacks.data import DataStack
from .stacks.observability import ObservabilityStack
from .stacks.schedules import SchedulesStack
from .stacks.test_provider import TestProviderStack
from .stacks.workflow import WorkflowStack

CDK_JSON = catalogue.PROJECT_ROOT / "cdk.json"


@dataclass(frozen=True)
class System:
    deploy_env: DeployEnv
    data: DataStack
    workflow: WorkflowStack
    api: ApiStack
    schedules: SchedulesStack
    observability: ObservabilityStack
    test_provider: TestProviderStack | None = None  # development environments (-c paymentProvider=test)

    @property
    def stacks(self) -> tuple[cdk.Stack, ...]:
        core = (self.data, self.workflow, self.api, self.schedules, self.observability)
        return core + ((self.test_provider,) if self.test_provider else ())


def cdk_json_context(path: Path = CDK_JSON) -> dict:
    """The "context" of cdk.json (feature flags). The CDK CLI passes it to the app itself;
    `python infra/app.py` and the tests read it here so that every synthesis is the same."""
    return dict(json.loads(path.read_text()).get("context", {}))


def build(app: cdk.App) -> System:
    deploy_env = DeployEnv.from_context(app)
    tags = {"project": catalogue.SERVICE_NAME, "environment": deploy_env.name}

    def props(part: str, description: str) -> dict:
        return {"stack_name": deploy_env.stack_name(part), "description": description, "tags": tags}

    data = DataStack(
        app, "Data", deploy_env=deploy_env, **props("data", "Prakerja Flow: tables, keys, secrets (retained)")
    )
    test_provider = None
    provider_url = deploy_env.payment_provider_url
    if deploy_env.deploys_test_provider:
        test_provider = TestProviderStack(
            app,
            "TestProvider",
            deploy_env=deploy_env,
            data=data,
            **props(
                "testprovider", "Prakerja Flow (development only): test payment provider with the test account numbers"
            ),
        )
        provider_url = test_provider.url
    workflow = WorkflowStack(
        app,
        "Workflow",
        deploy_env=deploy_env,
        data=data,
        payment_provider_url=provider_url,
        **props("workflow", "Prakerja Flow: Lambda functions and the lifecycle state machine"),
    )
    api = ApiStack(
        app, "Api", deploy_env=deploy_env, workflow=workflow, **props("api", "Prakerja Flow: REST API, WAF, usage plan")
    )
    schedules = SchedulesStack(
        app,
        "Schedules",
        deploy_env=deploy_env,
        workflow=workflow,
        **props("schedules", "Prakerja Flow: scheduled jobs and their DLQ"),
    )
    observability = ObservabilityStack(
        app,
        "Observability",
        deploy_env=deploy_env,
        workflow=workflow,
        api=api,
        schedules=schedules,
        **props("observability", "Prakerja Flow: alarms and dashboard"),
    )
    return System(deploy_env, data, workflow, api, schedules, observability, test_provider)


def add_compliance_checks(app: cdk.App) -> None:
    """cdk-nag AWS Solutions checks: any finding that is not acknowledged fails synthesis.
    Acknowledgements are also written into the templates' Metadata (cdk_nag) as an audit trail."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
