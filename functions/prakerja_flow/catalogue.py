"""The deployment catalogue: every Lambda function, what it may touch, which ASL
substitution names it, and which schedule triggers it.

This is the one list. The CDK app (infra/) and the local runtime (prakerja.local)
both build from it, so a function added here exists in both worlds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from . import config
from .clock import SCHEDULED_TIME_FIELD  # noqa: F401  (infra and the local runtime read it here)
from .observability_names import (  # noqa: F401  (the names alarms and dashboards are built on)
    METRICS_NAMESPACE,
    PAYOUT_AMOUNT_METRIC,
    PAYOUT_MISCONFIGURED_METRIC,
    PAYOUT_OUTCOME_METRICS,
    PAYOUT_RUN_STOPPED_EARLY_METRIC,
    PAYOUT_SHARDS_FAILED_METRIC,
    RECONCILIATION_MISMATCH_METRIC,
    SERVICE_NAME,
)
from .settings import (  # noqa: F401  (CDK and the local runtime set these)
    DEFAULT_TABLE_NAME,
    ENV_PAYMENT_PROVIDER,
    ENV_PAYMENT_PROVIDER_SECRET,
    ENV_PAYMENT_PROVIDER_URL,
    ENV_STATE_MACHINE,
    ENV_TABLE,
    ENV_TEST_PROVIDER_OTHER_ACCOUNTS,
    ENV_TEST_PROVIDER_TABLE,
    ENV_TEST_PROVIDER_TIMEOUT_SECONDS,
)

FUNCTIONS_ROOT = Path(__file__).resolve().parent.parent  # the Lambda asset folder
PROJECT_ROOT = FUNCTIONS_ROOT.parent
LIFECYCLE_ASL = PROJECT_ROOT / "statemachines" / "participant_lifecycle.asl.json"
STATE_MACHINE_NAME = "participant-lifecycle"
PAYOUT_RUN_ASL = PROJECT_ROOT / "statemachines" / "payout_run.asl.json"
TABLE_NAME = DEFAULT_TABLE_NAME  # a stack's table name is prefixed with its environment

API_FUNCTION_KEY = "platform-api"  # the function behind API Gateway
# API Gateway's Lambda REQUEST authorizer (request signatures; routes.py says who may call what).
AUTHORIZER_FUNCTION_KEY = "api-authorizer"


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    every: timedelta
    description: str


@dataclass(frozen=True)
class FunctionSpec:
    key: str  # logical id: CDK construct id and local function name suffix
    handler: str  # module.attribute, relative to the asset folder
    description: str
    asl_substitution: str | None = None  # ${...} name in the ASL that holds this ARN
    table_actions: tuple[str, ...] = ()
    sends_task_tokens: bool = False
    starts_executions: bool = False
    reads_executions: bool = False
    calls_payment_provider: bool = False
    # Personal data (ADR 0018): seals participants' identifiers and keys the NIK guard
    # (registration), or opens them (the holder's NIK in the payout account inquiry).
    seals_identifiers: bool = False
    opens_identifiers: bool = False
    schedule: ScheduleSpec | None = None
    memory_mb: int = 256
    timeout: timedelta = timedelta(seconds=30)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def function_name(self) -> str:
        return f"prakerja-{self.key}"


READ = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
WRITE = READ + ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        key=API_FUNCTION_KEY,
        handler="prakerja_flow.handlers.api.handler",
        description="Partner platform, participant and operator HTTP API (API Gateway proxy)",
        table_actions=WRITE,
        sends_task_tokens=True,
        starts_executions=True,
        seals_identifiers=True,
        memory_mb=512,
        # API Gateway gives up after 29 s; the function must answer before that.
        timeout=timedelta(seconds=25),
    ),
    FunctionSpec(
        key=AUTHORIZER_FUNCTION_KEY,
        handler="prakerja_flow.handlers.authorizer.handler",
        description="Verifies API request signatures against client secrets; refuses replays",
        # No access to the single table: it reads client secrets and writes replay nonces
        # to the request table, granted next to the REST API (infra/stacks/api.py).
        memory_mb=256,
        timeout=timedelta(seconds=10),
    ),
    FunctionSpec(
        key="await-event",
        handler="prakerja_flow.handlers.lifecycle.await_event",
        description="Stores a waiting execution's task token; delivers an event that arrived first",
        asl_substitution="AwaitEventFunctionArn",
        table_actions=WRITE,
        sends_task_tokens=True,
    ),
    FunctionSpec(
        key="verify-purchase",
        handler="prakerja_flow.handlers.lifecycle.verify_purchase",
        description="Re-checks the recorded purchase against the bundle ban and balance rules",
        asl_substitution="VerifyPurchaseFunctionArn",
        table_actions=READ,
    ),
    FunctionSpec(
        key="verify-completion",
        handler="prakerja_flow.handlers.lifecycle.verify_completion",
        description="Checks the certificate belongs to the purchased training",
        asl_substitution="VerifyCompletionFunctionArn",
        table_actions=READ,
    ),
    FunctionSpec(
        key="check-rating",
        handler="prakerja_flow.handlers.lifecycle.check_rating",
        description="Checks instructor, facilities and programme ratings and the review",
        asl_substitution="CheckRatingFunctionArn",
        table_actions=READ,
    ),
    FunctionSpec(
        key="grant-incentives",
        handler="prakerja_flow.handlers.lifecycle.grant_incentives",
        description="Creates the 4 payout and 3 survey entitlements, once",
        asl_substitution="GrantIncentivesFunctionArn",
        table_actions=WRITE,
    ),
    FunctionSpec(
        key="revoke-participation",
        handler="prakerja_flow.handlers.lifecycle.revoke_participation",
        description="Revokes a participant who missed the purchase deadline; forfeits the balance",
        asl_substitution="RevokeParticipationFunctionArn",
        table_actions=WRITE,
    ),
    # The payout run's steps (statemachines/payout_run.asl.json, started by its schedule).
    FunctionSpec(
        key="plan-payout-run",
        handler="prakerja_flow.handlers.jobs.plan_payout_run",
        description="Plans a payout run: the programme pause and the queue shards with due work",
        asl_substitution="PlanPayoutRunFunctionArn",
        table_actions=READ,
    ),
    FunctionSpec(
        key="pay-shard",
        handler="prakerja_flow.handlers.jobs.pay_shard",
        description="Pays one queue shard's due entitlements through the payment provider; resumes executions",
        asl_substitution="PayShardFunctionArn",
        table_actions=WRITE,
        sends_task_tokens=True,
        calls_payment_provider=True,
        opens_identifiers=True,
        memory_mb=512,
        timeout=timedelta(minutes=15),
    ),
    FunctionSpec(
        key="summarise-payout-run",
        handler="prakerja_flow.handlers.jobs.summarise_payout_run",
        description="Adds up a payout run's shards; publishes its metrics and the provider's health",
        asl_substitution="SummarisePayoutRunFunctionArn",
        table_actions=WRITE,
    ),
    FunctionSpec(
        key="reconcile",
        handler="prakerja_flow.handlers.jobs.reconcile",
        description="Compares the payment provider's statement with the ledger; reports every mismatch",
        # Reads only: ledger and entitlements of the participants in the statement (queries).
        table_actions=READ,
        calls_payment_provider=True,
        schedule=ScheduleSpec("reconcile", config.RECONCILIATION_INTERVAL, "Reconcile provider statement with ledger"),
        memory_mb=512,
        timeout=timedelta(minutes=15),
    ),
    FunctionSpec(
        key="deadline-sweep",
        handler="prakerja_flow.handlers.jobs.deadline_sweep",
        description="Enforces purchase deadlines, survey windows and balance expiry",
        table_actions=WRITE,
        sends_task_tokens=True,
        schedule=ScheduleSpec("deadline-sweep", config.DEADLINE_SWEEP_INTERVAL, "Enforce deadlines"),
        timeout=timedelta(minutes=15),
    ),
)


@dataclass(frozen=True)
class StateMachineSpec:
    key: str  # logical id, and the key of its schedule's job
    name: str  # state machine name (a stack prefixes it with its environment)
    asl: Path
    description: str
    timeout: timedelta
    schedule: ScheduleSpec | None = None


LIFECYCLE = StateMachineSpec(
    key="lifecycle",
    name=STATE_MACHINE_NAME,
    asl=LIFECYCLE_ASL,
    description="One execution per participant, from accepted registration to the last rupiah",
    timeout=config.LIFECYCLE_TIMEOUT,
)
PAYOUT_RUN = StateMachineSpec(
    key="payout-run",
    name="payout-run",
    asl=PAYOUT_RUN_ASL,
    description="The scheduled payout run: one child per queue shard with due work",
    timeout=config.PAYOUT_RUN_TIMEOUT,
    schedule=ScheduleSpec("payout-run", config.PAYOUT_RUN_INTERVAL, "Release due payouts"),
)
STATE_MACHINES: tuple[StateMachineSpec, ...] = (LIFECYCLE, PAYOUT_RUN)

# What a schedule starts: a function (invoked) or a state machine (an execution started).
Job = FunctionSpec | StateMachineSpec


def scheduled_jobs() -> tuple[Job, ...]:
    """Every state machine and function with a schedule, in the order one local tick runs
    them: the payout run first, then reconciliation (it sees that day's transfers) and the
    deadline sweep."""
    return tuple(s for s in (*STATE_MACHINES, *FUNCTIONS) if s.schedule is not None)


def functions_of(machine: StateMachineSpec) -> tuple[FunctionSpec, ...]:
    """The catalogue functions whose ARN the machine's ASL names."""
    text = machine.asl.read_text(encoding="utf-8")
    return tuple(s for s in FUNCTIONS if s.asl_substitution and "${" + s.asl_substitution + "}" in text)


def by_key(key: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.key == key:
            return spec
    raise KeyError(key)


def asl_substitutions(arn_of: dict[str, str]) -> dict[str, str]:
    """ASL substitution name -> function ARN, given each function key's ARN."""
    return {spec.asl_substitution: arn_of[spec.key] for spec in FUNCTIONS if spec.asl_substitution}


def state_machine_arn(region: str, account: str, name: str = STATE_MACHINE_NAME, partition: str = "aws") -> str:
    # Built from the fixed name, not read from the resource: the functions need it in
    # their environment while the state machine needs their ARNs (a cycle otherwise).
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{name}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN of a state machine's execution of this name."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"


def function_environment(table_name: str, state_machine: str, payment_provider: str) -> dict[str, str]:
    """Every function gets the same environment; the CDK app adds AWS-only settings."""
    return {
        ENV_TABLE: table_name,
        ENV_STATE_MACHINE: state_machine,
        ENV_PAYMENT_PROVIDER: payment_provider,
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
    }


def render_asl(arn_of: dict[str, str], machine: StateMachineSpec = LIFECYCLE) -> str:
    """The ASL with its ${...} substitutions filled in, as CDK's definition_substitutions does."""
    text = machine.asl.read_text(encoding="utf-8")
    for name, value in asl_substitutions(arn_of).items():
        text = text.replace("${" + name + "}", value)
    if "${" in text:
        raise ValueError("the ASL names a substitution the catalogue does not provide")
    return text


_RATE_UNITS = ((86_400, "day"), (3_600, "hour"), (60, "minute"))


def rate_expression(every: timedelta) -> str:
    """`rate(...)` for EventBridge Scheduler: whole minutes, hours or days, at least 1 minute.
    Here, not in infra/, because the local runtime's schedules must not import aws_cdk."""
    seconds = every.total_seconds()
    if seconds < 60 or seconds != int(seconds):
        raise ValueError(f"schedule interval {every} is not a whole number of minutes (>= 1)")
    for size, unit in _RATE_UNITS:
        if seconds % size == 0:
            value = int(seconds // size)
            return f"rate({value} {unit}{'' if value == 1 else 's'})"
    raise ValueError(f"schedule interval {every} is not a whole number of minutes")
