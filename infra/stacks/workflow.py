"""The Lambda functions of the catalogue and the participant lifecycle state machine.

The functions need the state machine's ARN (catalogue.ENV_STATE_MACHINE) and the state
machine needs the functions' ARNs (its ASL substitutions). A CloudFormation reference
each way would be a cycle, so the state machine gets a fixed name and the functions get
an ARN built from that name (Stack.format_arn), which references nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from aws_cdk import (
    ArnFormat,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_stepfunctions as sfn,
)
from constructs import Construct

from prakerja_flow import catalogue, settings

from .. import defaults, powertools
from ..environment import HTTP_PAYMENT_PROVIDER, DeployEnv
from ..nag import acknowledge
from ..operators import OperatorAccess
from .data import DataStack

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64

# Left out of the Lambda asset (the asset is catalogue.FUNCTIONS_ROOT, i.e. functions/).
ASSET_EXCLUDES = [
    "**/__pycache__",
    "**/*.pyc",
    "**/*.pyo",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/.ruff_cache",
    "**/*.egg-info",
    "**/.DS_Store",
]

# Not (yet) in the catalogue: the name of the variable holding the payment provider
# credentials' secret ARN. The catalogue's name wins once it has one.
ENV_PAYMENT_PROVIDER_SECRET = catalogue.ENV_PAYMENT_PROVIDER_SECRET

SEND_TASK_ACTIONS = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def definition(machine: catalogue.StateMachineSpec) -> str:
    """A state machine's ASL from statemachines/, with its safety-net TimeoutSeconds added.

    (StateMachine's `timeout` prop is ignored for string definitions, so it is set here.)
    """
    asl = json.loads(machine.asl.read_text())
    asl["TimeoutSeconds"] = int(machine.timeout.total_seconds())
    return json.dumps(asl, indent=2)


@dataclass(frozen=True)
class JobTarget:
    """What the schedules stack needs to know about one scheduled job: a function it
    invokes (with the function's role, for its failure destination) or a state machine
    it starts."""

    spec: catalogue.Job
    arn: str
    function: lambda_.IFunction | None = None
    role: iam.IRole | None = None


class WorkflowStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deploy_env: DeployEnv,
        data: DataStack,
        payment_provider_url: str | None = None,
        **kwargs,
    ) -> None:
        """`payment_provider_url`: where the functions that call the provider find it (the
        test provider's function URL, or -c paymentProviderUrl)."""
        super().__init__(scope, construct_id, **kwargs)
        self.deploy_env = deploy_env
        self.data = data
        self.payment_provider_url = payment_provider_url

        self.state_machine_name = deploy_env.prefixed(catalogue.STATE_MACHINE_NAME)
        self.state_machine_arn, self.execution_arns = self._machine_arns(self.state_machine_name)

        self.layer = powertools.layer(self, deploy_env.powertools_layer_arn)
        self.code = lambda_.Code.from_asset(str(catalogue.FUNCTIONS_ROOT), exclude=ASSET_EXCLUDES)

        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for spec in catalogue.FUNCTIONS:
            self._add_function(spec)

        self.state_machines: dict[str, sfn.StateMachine] = {
            machine.key: self._add_state_machine(machine) for machine in catalogue.STATE_MACHINES
        }
        self.state_machine = self.state_machines[catalogue.LIFECYCLE.key]
        self.payout_run = self.state_machines[catalogue.PAYOUT_RUN.key]

        # Operators' access for `prakerja ops` (docs/operations.md): here because it needs
        # the state machine and execution ARNs, and the table ARNs this stack already imports.
        payout_run_arn, payout_run_executions = self._machine_arns(deploy_env.prefixed(catalogue.PAYOUT_RUN.name))
        self.operators = OperatorAccess(
            self,
            "Operators",
            deploy_env=deploy_env,
            table_arn=data.table.table_arn,
            index_names=data.index_names,
            key=data.key,
            identifiers_key=data.identifiers_key,
            nik_lookup_key=data.nik_lookup_key,
            state_machine_name=self.state_machine_name,
            state_machine_arn=self.state_machine_arn,
            execution_arns=self.execution_arns,
            settings_function_arn=self.functions[catalogue.API_FUNCTION_KEY].function_arn,
            payout_run_arn=payout_run_arn,
            payout_run_executions=payout_run_executions,
            payout_run_name=deploy_env.prefixed(catalogue.PAYOUT_RUN.name),
        )

        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)
        CfnOutput(self, "PayoutRunStateMachineArn", value=self.payout_run.state_machine_arn)

    def _machine_arns(self, name: str) -> tuple[str, str]:
        """A state machine's ARN and the pattern of its executions' ARNs, built from its fixed
        name (referencing nothing, so no cycle with the functions that need them)."""
        machine = self.format_arn(
            service="states", resource="stateMachine", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        executions = self.format_arn(
            service="states", resource="execution", resource_name=f"{name}:*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        return machine, executions

    # --- functions ------------------------------------------------------------------

    def function_name(self, spec: catalogue.FunctionSpec) -> str:
        return self.deploy_env.prefixed(spec.function_name)

    def _environment(self, spec: catalogue.FunctionSpec) -> dict[str, str]:
        # The environment every function gets (the local runtime uses the same function),
        # then what only AWS needs, then the function's own settings from the catalogue.
        env = catalogue.function_environment(
            table_name=self.data.table.table_name,
            state_machine=self.state_machine_arn,
            # Deployed, every provider is reached with the HTTP adapter (the test provider too).
            payment_provider=HTTP_PAYMENT_PROVIDER,
        )
        env["POWERTOOLS_LOG_LEVEL"] = "INFO"
        if self.deploy_env.programme_clock:
            env[settings.ENV_PROGRAMME_CLOCK] = "true"
        if spec.seals_identifiers or spec.opens_identifiers:
            env[settings.ENV_IDENTIFIERS_KEY_ARN] = self.data.identifiers_key.key_arn
        if spec.seals_identifiers:
            env[settings.ENV_NIK_LOOKUP_KEY_ARN] = self.data.nik_lookup_key.key_arn
            env[settings.ENV_NIK_LOOKUP_KEY_VERSION] = self.data.nik_lookup_version
        if spec.calls_payment_provider:
            env[ENV_PAYMENT_PROVIDER_SECRET] = self.data.payment_provider_secret.secret_arn
            # Only the functions that call the provider learn where it is.
            if self.payment_provider_url:
                env[catalogue.ENV_PAYMENT_PROVIDER_URL] = self.payment_provider_url
        env.update(spec.env)
        return env

    def _add_function(self, spec: catalogue.FunctionSpec) -> None:
        name = self.function_name(spec)
        log_group = logs.LogGroup(
            self,
            f"{spec.key}-logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=logs.RetentionDays[defaults.LOG_RETENTION],
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            f"{spec.key}-role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {name}: exactly what the catalogue grants it",
        )
        for statement in self._statements(spec, log_group):
            role.add_to_policy(statement)

        function = lambda_.Function(
            self,
            spec.key,
            function_name=name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=self.code,
            layers=[self.layer],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(int(spec.timeout.total_seconds())),
            environment=self._environment(spec),
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )
        self.functions[spec.key] = function
        self.roles[spec.key] = role

        acknowledge(
            function,
            "AwsSolutions-L1",
            "python3.13 on purpose: it is the newest runtime the project supports (pyproject "
            "requires-python <3.14) and the newest the pinned Powertools layer is used with here.",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions that support no resource-level permissions have Resource '*': "
            "xray:PutTraceSegments/PutTelemetryRecords (active tracing) and, for functions that "
            "resume executions, states:SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat, which "
            "take a task token, not an ARN (Service Authorization Reference for Step Functions).",
        )
        if spec.reads_executions:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{self.state_machine_name}:*]",
                "Executions are named per participant at run time; the wildcard is limited to the "
                "executions of this environment's lifecycle state machine.",
            )

    def _identifier_statements(self, spec: catalogue.FunctionSpec) -> list[iam.PolicyStatement]:
        """ADR 0018: sealing needs data keys (GenerateDataKey; Encrypt for the SDK's keyring),
        opening needs Decrypt, keying the NIK guard GenerateMac. Called directly, not via a
        service: the SDK and the guard call KMS themselves."""
        key, found = self.data.identifiers_key.key_arn, []
        if spec.seals_identifiers:
            found.append(
                iam.PolicyStatement(
                    sid="SealIdentifiers", actions=["kms:GenerateDataKey", "kms:Encrypt"], resources=[key]
                )
            )
            found.append(
                iam.PolicyStatement(
                    sid="NikLookup", actions=["kms:GenerateMac"], resources=[self.data.nik_lookup_key.key_arn]
                )
            )
        if spec.opens_identifiers:
            found.append(iam.PolicyStatement(sid="OpenIdentifiers", actions=["kms:Decrypt"], resources=[key]))
        return found

    def _statements(self, spec: catalogue.FunctionSpec, log_group: logs.LogGroup) -> list[iam.PolicyStatement]:
        data = self.data
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        ]
        if spec.table_actions:
            statements.append(
                iam.PolicyStatement(
                    sid="Table",
                    actions=list(spec.table_actions),
                    resources=[data.table.table_arn, *(f"{data.table.table_arn}/index/{i}" for i in data.index_names)],
                )
            )
            writes = set(spec.table_actions) - set(catalogue.READ)
            statements.append(
                iam.PolicyStatement(
                    sid="TableKey",
                    actions=["kms:Decrypt", "kms:DescribeKey"]
                    + (["kms:Encrypt", "kms:GenerateDataKey"] if writes else []),
                    resources=[data.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{self.region}.amazonaws.com"}},
                )
            )
        statements.extend(self._identifier_statements(spec))
        if spec.sends_task_tokens:
            statements.append(
                iam.PolicyStatement(sid="ResumeExecutions", actions=list(SEND_TASK_ACTIONS), resources=["*"])
            )
        if spec.starts_executions:
            statements.append(
                iam.PolicyStatement(
                    sid="StartExecutions", actions=["states:StartExecution"], resources=[self.state_machine_arn]
                )
            )
        if spec.reads_executions:
            statements.append(
                iam.PolicyStatement(
                    sid="ReadExecutions",
                    actions=["states:DescribeExecution", "states:GetExecutionHistory"],
                    resources=[self.execution_arns],
                )
            )
            statements.append(
                iam.PolicyStatement(
                    sid="ListExecutions", actions=["states:ListExecutions"], resources=[self.state_machine_arn]
                )
            )
        if spec.calls_payment_provider:
            statements.append(
                iam.PolicyStatement(
                    sid="PaymentProviderCredentials",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[data.payment_provider_secret.secret_arn],
                )
            )
            statements.append(
                iam.PolicyStatement(
                    sid="PaymentProviderCredentialsKey",
                    actions=["kms:Decrypt"],
                    resources=[data.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"}},
                )
            )
        return statements

    # --- state machine --------------------------------------------------------------

    def _add_state_machine(self, machine: catalogue.StateMachineSpec) -> sfn.StateMachine:
        lifecycle = machine is catalogue.LIFECYCLE
        name = self.state_machine_name if lifecycle else self.deploy_env.prefixed(machine.name)
        own = catalogue.functions_of(machine)
        substitutions = {s.asl_substitution: self.functions[s.key].function_arn for s in own if s.asl_substitution}
        text = definition(machine)
        missing = set(_PLACEHOLDER.findall(text)) - set(substitutions)
        if missing:
            raise ValueError(f"{machine.asl.name} uses ${{{', '.join(sorted(missing))}}} with no catalogue function")

        log_group = logs.LogGroup(
            self,
            "StateMachineLogs" if lifecycle else f"{machine.key}-logs",
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=logs.RetentionDays[defaults.LOG_RETENTION],
            removal_policy=RemovalPolicy.DESTROY,
        )
        state_machine = sfn.StateMachine(
            self,
            "Lifecycle" if lifecycle else "PayoutRun",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(text),
            definition_substitutions=substitutions,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeLifecycleFunctions" if lifecycle else "InvokePayoutRunFunctions",
                actions=["lambda:InvokeFunction"],
                resources=list(dict.fromkeys(substitutions.values())),
            )
        )
        acknowledge(
            state_machine,
            "AwsSolutions-IAM5[Resource::*]",
            "Added by CDK for CloudWatch Logs delivery (logs:CreateLogDelivery, GetLogDelivery, "
            "UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, "
            "DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, "
            "PutTelemetryRecords, GetSamplingRules, GetSamplingTargets): these actions support "
            "no resource-level permissions.",
        )
        return state_machine

    # --- for the other stacks -----------------------------------------------------------

    def jobs(self) -> list[JobTarget]:
        targets = []
        for spec in catalogue.scheduled_jobs():
            if isinstance(spec, catalogue.StateMachineSpec):
                machine = self.state_machines[spec.key]
                targets.append(JobTarget(spec, machine.state_machine_arn))
            else:
                fn = self.functions[spec.key]
                targets.append(JobTarget(spec, fn.function_arn, fn, self.roles[spec.key]))
        return targets
