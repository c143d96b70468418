"""Which environment is being deployed (`-c env=staging`) and how its resources are named."""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs import Construct

DEFAULT_ENV = "dev"
_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")

# Context keys (`cdk deploy -c key=value`); docs/deploy.md lists them.
CTX_ENV = "env"
CTX_POWERTOOLS_LAYER_ARN = "powertoolsLayerArn"
CTX_ALARM_EMAIL = "alarmEmail"
CTX_PAYMENT_PROVIDER = "paymentProvider"

DEFAULT_PAYMENT_PROVIDER = "fake"


@dataclass(frozen=True)
class DeployEnv:
    """One deployed copy of the system. Its name prefixes every physical resource name,
    so several environments can share an account (one account per environment is better)."""

    name: str
    alarm_email: str | None = None
    powertools_layer_arn: str | None = None
    payment_provider: str = DEFAULT_PAYMENT_PROVIDER

    def __post_init__(self) -> None:
        if not _ENV_NAME.match(self.name):
            raise ValueError(
                f"environment name {self.name!r} must be 2-12 lowercase letters or digits, starting with a letter"
            )

    def prefixed(self, name: str) -> str:
        """Physical name of a resource in this environment, e.g. dev-prakerja-flow."""
        return f"{self.name}-{name}"

    def stack_name(self, part: str) -> str:
        return f"{self.name}-prakerja-flow-{part}"

    @classmethod
    def from_context(cls, scope: Construct) -> "DeployEnv":
        node = scope.node
        return cls(
            name=str(node.try_get_context(CTX_ENV) or DEFAULT_ENV),
            alarm_email=node.try_get_context(CTX_ALARM_EMAIL) or None,
            powertools_layer_arn=node.try_get_context(CTX_POWERTOOLS_LAYER_ARN) or None,
            payment_provider=str(node.try_get_context(CTX_PAYMENT_PROVIDER) or DEFAULT_PAYMENT_PROVIDER),
        )
