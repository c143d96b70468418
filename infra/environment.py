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
CTX_PAYMENT_PROVIDER_URL = "paymentProviderUrl"
CTX_OPERATOR_PRINCIPAL = "operatorPrincipalArn"

DEFAULT_PAYMENT_PROVIDER = "fake"
# payments.get_provider: the one provider that calls out over HTTP, and so needs a URL.
HTTP_PAYMENT_PROVIDER = "http"


@dataclass(frozen=True)
class DeployEnv:
    """One deployed copy of the system. Its name prefixes every physical resource name,
    so several environments can share an account (one account per environment is better)."""

    name: str
    alarm_email: str | None = None
    powertools_layer_arn: str | None = None
    payment_provider: str = DEFAULT_PAYMENT_PROVIDER
    # Base URL of the disbursement API (catalogue.ENV_PAYMENT_PROVIDER_URL).
    payment_provider_url: str | None = None
    # IAM principal ARN (an operator group's role, an IAM Identity Center permission-set
    # role, or an account root) that may assume the operator role of `prakerja ops`.
    operator_principal_arn: str | None = None

    def __post_init__(self) -> None:
        if not _ENV_NAME.match(self.name):
            raise ValueError(
                f"environment name {self.name!r} must be 2-12 lowercase letters or digits, starting with a letter"
            )
        url = self.payment_provider_url
        # Credentials and account numbers travel to this URL: refuse plain HTTP at synthesis.
        if url is not None and not (url.startswith("https://") and len(url) > len("https://")):
            raise ValueError(f"{CTX_PAYMENT_PROVIDER_URL} must be an https:// URL, not {url!r}")
        if self.payment_provider == HTTP_PAYMENT_PROVIDER and not url:
            raise ValueError(
                f"-c {CTX_PAYMENT_PROVIDER}={HTTP_PAYMENT_PROVIDER} needs -c {CTX_PAYMENT_PROVIDER_URL}=https://... "
                "(the disbursement API's base URL)"
            )
        principal = self.operator_principal_arn
        if principal is not None and not principal.startswith("arn:"):
            raise ValueError(f"{CTX_OPERATOR_PRINCIPAL} must be an IAM principal ARN, not {principal!r}")

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
            payment_provider_url=node.try_get_context(CTX_PAYMENT_PROVIDER_URL) or None,
            operator_principal_arn=node.try_get_context(CTX_OPERATOR_PRINCIPAL) or None,
        )
