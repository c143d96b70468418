"""Where `prakerja ops` talks to: AWS (default credentials) or the local stack
(--endpoint-url / AWS_ENDPOINT_URL). The data modules of prakerja_flow create their
own boto3 clients from the environment, so the target is set there, once."""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from prakerja_flow import catalogue, settings
from prakerja_flow import clock as flow_clock
from prakerja_flow.data import clients

from ..local.programme_clock import ProgrammeClock

DEFAULT_REGION = "ap-southeast-3"
FAST_FAIL = Config(connect_timeout=3, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"})


class OpsError(Exception):
    """One line for stderr; exit status 1."""


class OpsUsageError(OpsError):
    """Bad usage found once connected (an unknown wave, state or status): exit status 2."""


@dataclass
class Target:
    endpoint_url: str | None
    region: str
    table_name: str
    account: str = ""
    state_machine_arn: str = ""
    payout_run_arn: str = ""
    _sfn: object = None
    _clock: ProgrammeClock | None = None

    def client(self, service: str):
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url, config=FAST_FAIL)

    @property
    def sfn(self):
        if self._sfn is None:
            self._sfn = self.client("stepfunctions")
        return self._sfn

    @property
    def clock(self) -> ProgrammeClock:
        """The programme clock of the stack (read once): a local stack publishes its own
        (prakerja/local/programme_clock.py); AWS runs on the wall clock. Once read, it is
        this process's clock too, so that everything the functions' code computes here
        (diagnoses, holds, the audit log's day) is on the stack's programme time."""
        if self._clock is None:
            from .table import published_clock

            self._clock = published_clock()
            if self._clock.published:
                flow_clock.set_source(self._clock.now)
        return self._clock

    def now(self):
        return self.clock.now()

    def use_clock(self, programme_clock: ProgrammeClock) -> Target:
        """A clock known otherwise (the stack in this very process: programme_clock.SteppedClock)."""
        self._clock = programme_clock
        return self

    def execution_arn(self, participant_id: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + participant_id

    def describe(self, error: Exception) -> str:
        message = explain(error, self.endpoint_url)
        if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES:
            # AWS does not say which resource; the usual cause is a wrong --env or --table.
            message += (
                f" (table {self.table_name}, state machine {self.state_machine_arn.rsplit(':', 1)[-1]};"
                " check --env/--table)"
            )
        return message


_environment: dict[str, str | None] = {"name": None}
# Connection options given before the command (`prakerja ops --endpoint-url X executions`);
# the command's own options win over them.
_given: dict[str, str | None] = {"endpoint_url": None, "region": None, "table": None}


def set_connection_options(endpoint_url: str | None, region: str | None, table: str | None) -> None:
    _given.update(endpoint_url=endpoint_url, region=region, table=table)


def set_environment(name: str | None) -> None:
    """The deployed environment whose resources to use: CDK names them `<env>-<name>`
    (infra/environment.py: DeployEnv.prefixed); the local stack uses the bare names."""
    _environment["name"] = name or None


def physical_name(name: str) -> str:
    env = _environment["name"]
    return f"{env}-{name}" if env else name


def connect(endpoint_url: str | None, region: str | None, table_name: str | None) -> Target:
    """Points this process (our clients and prakerja_flow's) at the target and checks it answers."""
    endpoint_url = endpoint_url or _given["endpoint_url"] or os.environ.get("AWS_ENDPOINT_URL") or None
    region = region or _given["region"] or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    table_name = table_name or _given["table"] or physical_name(catalogue.TABLE_NAME)
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
        if boto3.Session().get_credentials() is None:  # the local stack accepts any credentials
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ[catalogue.ENV_TABLE] = table_name
    clients.reset()
    target = Target(endpoint_url, region, table_name)
    try:
        target.account = target.client("sts").get_caller_identity()["Account"]
    except Exception as error:  # noqa: BLE001 - turned into one line for the operator
        raise OpsError(explain(error, endpoint_url)) from None
    target.state_machine_arn = catalogue.state_machine_arn(
        region, target.account, physical_name(catalogue.STATE_MACHINE_NAME)
    )
    target.payout_run_arn = catalogue.state_machine_arn(
        region, target.account, physical_name(catalogue.PAYOUT_RUN.name)
    )
    _use_identifier_keys(target)
    return target


def _use_identifier_keys(target: Target) -> None:
    """ADR 0018: which KMS keys seal the identifiers and key the NIK guard, read from the API
    function's settings (as `clock advance` reads its clock there): a lookup by NIK here must
    use the very key version the functions write with. Left as they are when unreadable: a
    lookup then says which setting is missing."""
    name = physical_name(catalogue.by_key(catalogue.API_FUNCTION_KEY).function_name)
    try:
        found = target.client("lambda").get_function_configuration(FunctionName=name)
    except (ClientError, BotoCoreError):
        return
    variables = found.get("Environment", {}).get("Variables", {})
    for setting in settings.IDENTIFIER_SETTINGS:
        if variables.get(setting):
            os.environ[setting] = variables[setting]
        else:
            os.environ.pop(setting, None)


_NOT_FOUND_CODES = ("ResourceNotFoundException", "StateMachineDoesNotExist")


def explain(error: Exception, endpoint_url: str | None) -> str:
    where = endpoint_url or "AWS"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach {where}: connection refused"
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found (configure a profile, or use --endpoint-url for the local stack)"
    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        return f"{where} refused: {err.get('Code')}: {err.get('Message')}"
    if isinstance(error, BotoCoreError):
        return f"cannot talk to {where}: {error}"
    return f"{type(error).__name__}: {error}"
