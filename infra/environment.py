"""Which environment is being deployed (`-c env=staging`) and how its resources are named."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from constructs import Construct

from prakerja_flow.payments import test_accounts

DEFAULT_ENV = "dev"
_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")

# Context keys (`cdk deploy -c key=value`); docs/deploy.md lists them.
CTX_ENV = "env"
CTX_POWERTOOLS_LAYER_ARN = "powertoolsLayerArn"
CTX_ALARM_EMAIL = "alarmEmail"
CTX_PAYMENT_PROVIDER = "paymentProvider"
CTX_PAYMENT_PROVIDER_URL = "paymentProviderUrl"
CTX_OPERATOR_PRINCIPAL = "operatorPrincipalArn"

CTX_TEST_ACCOUNTS_OTHER = "testAccountsOther"
# -c programmeClock=true: the functions run on the programme clock published in the table,
# which `prakerja ops clock advance` moves forward (handlers/clock_source.py); development only.
CTX_PROGRAMME_CLOCK = "programmeClock"

# -c paymentProvider=...:
HTTP_PAYMENT_PROVIDER = "http"  # a real disbursement API at -c paymentProviderUrl
TEST_PAYMENT_PROVIDER = "test"  # the test provider stack (development environments only)
# The in-process FakeProvider is for the local runtime only: deployed, every Lambda process
# would have its own empty account directory and nobody could ever be paid.
FAKE_PAYMENT_PROVIDER = "fake"
DEPLOYABLE_PAYMENT_PROVIDERS = (HTTP_PAYMENT_PROVIDER, TEST_PAYMENT_PROVIDER)
# Environments whose name starts with this are development environments: only they may
# deploy the test provider (which pays nobody real), and it is their default.
DEVELOPMENT_PREFIX = "dev"
# payments/http.py appends /v1/... to the base URL itself: a URL ending in a version
# segment would send every request to /v1/v1/...
_VERSION_SEGMENT = re.compile(r"/v\d+/?$")


@dataclass(frozen=True)
class DeployEnv:
    """One deployed copy of the system. Its name prefixes every physical resource name,
    so several environments can share an account (one account per environment is better)."""

    name: str
    alarm_email: str | None = None
    powertools_layer_arn: str | None = None
    # None: the default of the environment (the test provider in development environments).
    payment_provider: str | None = None
    # Base URL of the disbursement API (catalogue.ENV_PAYMENT_PROVIDER_URL).
    payment_provider_url: str | None = None
    # IAM principal ARN (an operator group's role, an IAM Identity Center permission-set
    # role, or an account root) that may assume the operator role of `prakerja ops`.
    operator_principal_arn: str | None = None
    # How numbers outside the test account table behave at the test provider (payments/test_accounts.py).
    test_accounts_other: str | None = None
    # The functions' "now" is the published programme clock (development environments only).
    programme_clock: bool = False

    def __post_init__(self) -> None:
        if not _ENV_NAME.match(self.name):
            raise ValueError(
                f"environment name {self.name!r} must be 2-12 lowercase letters or digits, starting with a letter"
            )
        if self.payment_provider is None:
            object.__setattr__(self, "payment_provider", TEST_PAYMENT_PROVIDER if self.development else None)
        provider = self.payment_provider
        if provider is None:
            raise ValueError(
                f"environment {self.name!r} is not a development environment (its name does not start with "
                f"{DEVELOPMENT_PREFIX!r}): give -c {CTX_PAYMENT_PROVIDER}={HTTP_PAYMENT_PROVIDER} "
                f"-c {CTX_PAYMENT_PROVIDER_URL}=https://..."
            )
        if provider == FAKE_PAYMENT_PROVIDER:
            raise ValueError(
                f"-c {CTX_PAYMENT_PROVIDER}={FAKE_PAYMENT_PROVIDER} cannot be deployed: "
                "the in-process fake provider would "
                "start with an empty account directory in every Lambda process, so nobody could ever be paid; use "
                f"{TEST_PAYMENT_PROVIDER} (development environments) or {HTTP_PAYMENT_PROVIDER}"
            )
        if provider not in DEPLOYABLE_PAYMENT_PROVIDERS:
            raise ValueError(
                f"{CTX_PAYMENT_PROVIDER} must be one of {', '.join(DEPLOYABLE_PAYMENT_PROVIDERS)}, not {provider!r}"
            )
        if provider == TEST_PAYMENT_PROVIDER and not self.development:
            raise ValueError(
                f"the test payment provider pays nobody real: only development environments (names starting with "
                f"{DEVELOPMENT_PREFIX!r}) may deploy it, not {self.name!r}"
            )
        url = self.payment_provider_url
        if url is not None:
            check_provider_url(url)
            if provider != HTTP_PAYMENT_PROVIDER:
                raise ValueError(
                    f"-c {CTX_PAYMENT_PROVIDER_URL} is only for -c {CTX_PAYMENT_PROVIDER}={HTTP_PAYMENT_PROVIDER}"
                )
        if provider == HTTP_PAYMENT_PROVIDER and not url:
            raise ValueError(
                f"-c {CTX_PAYMENT_PROVIDER}={HTTP_PAYMENT_PROVIDER} needs -c {CTX_PAYMENT_PROVIDER_URL}=https://... "
                "(the disbursement API's base URL)"
            )
        if self.test_accounts_other is not None:
            if provider != TEST_PAYMENT_PROVIDER:
                raise ValueError(f"-c {CTX_TEST_ACCOUNTS_OTHER} is only for the test payment provider")
            if self.test_accounts_other not in test_accounts.BEHAVIOURS:
                raise ValueError(f"-c {CTX_TEST_ACCOUNTS_OTHER} must be one of {', '.join(test_accounts.BEHAVIOURS)}")
        if self.programme_clock and not self.development:
            raise ValueError(
                f"-c {CTX_PROGRAMME_CLOCK}=true lets an operator move the functions' clock forward: only development "
                f"environments (names starting with {DEVELOPMENT_PREFIX!r}) may deploy it, not {self.name!r}"
            )
        principal = self.operator_principal_arn
        if principal is not None and not principal.startswith("arn:"):
            raise ValueError(f"{CTX_OPERATOR_PRINCIPAL} must be an IAM principal ARN, not {principal!r}")

    @property
    def development(self) -> bool:
        return self.name.startswith(DEVELOPMENT_PREFIX)

    @property
    def deploys_test_provider(self) -> bool:
        return self.payment_provider == TEST_PAYMENT_PROVIDER

    def prefixed(self, name: str) -> str:
        """Physical name of a resource in this environment, e.g. dev-prakerja-flow."""
        return f"{self.name}-{name}"

    def stack_name(self, part: str) -> str:
        return f"{self.name}-prakerja-flow-{part}"

    @classmethod
    def from_context(cls, scope: Construct) -> DeployEnv:
        node = scope.node
        return cls(
            name=str(node.try_get_context(CTX_ENV) or DEFAULT_ENV),
            alarm_email=node.try_get_context(CTX_ALARM_EMAIL) or None,
            powertools_layer_arn=node.try_get_context(CTX_POWERTOOLS_LAYER_ARN) or None,
            payment_provider=node.try_get_context(CTX_PAYMENT_PROVIDER) or None,
            payment_provider_url=node.try_get_context(CTX_PAYMENT_PROVIDER_URL) or None,
            operator_principal_arn=node.try_get_context(CTX_OPERATOR_PRINCIPAL) or None,
            test_accounts_other=node.try_get_context(CTX_TEST_ACCOUNTS_OTHER) or None,
            programme_clock=_flag(node.try_get_context(CTX_PROGRAMME_CLOCK), CTX_PROGRAMME_CLOCK),
        )


def _flag(value: object, name: str) -> bool:
    """A boolean context value: `-c key=true` arrives as a string, cdk.json as a boolean."""
    if value is None or value is False or value == "false":
        return False
    if value is True or value == "true":
        return True
    raise ValueError(f"-c {name} must be true or false, not {value!r}")


def check_provider_url(url: str) -> None:
    """The contract of -c paymentProviderUrl: the disbursement API's root over HTTPS
    (credentials and account numbers travel there), to which payments/http.py appends
    /v1/accounts/inquiry etc. itself; so no version segment, query or fragment."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"{CTX_PAYMENT_PROVIDER_URL} must be an https:// URL, not {url!r}")
    if _VERSION_SEGMENT.search(parts.path):
        raise ValueError(
            f"{CTX_PAYMENT_PROVIDER_URL} {url!r} ends in an API version: give the API's root "
            f"(e.g. {parts.scheme}://{parts.netloc}); payments/http.py appends /v1/... itself"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{CTX_PAYMENT_PROVIDER_URL} must have no query or fragment, not {url!r}")
