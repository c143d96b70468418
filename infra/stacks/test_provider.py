"""Development environments only (`-c paymentProvider=test`, their default): a test
payment provider that implements the HTTP provider contract (docs/decisions/0004) with
the documented test account numbers (docs/api.md), as its own Lambda function behind a
function URL, with its own table. The catalogue's functions call it with the HTTP
adapter, exactly as they would call a real provider, so a development stack can pay a
test account and its payout path is the production one. It moves no money."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from prakerja_flow import catalogue, config
from prakerja_flow.data import test_provider_store
from prakerja_flow.handlers import test_provider as handler_module
from prakerja_flow.payments.test_provider import TIMEOUT_MARGIN_SECONDS

from .. import defaults, powertools
from ..environment import DeployEnv
from ..nag import acknowledge
from .data import DataStack
from .workflow import ARCHITECTURE, ASSET_EXCLUDES, RUNTIME

HANDLER = f"{handler_module.__name__}.{handler_module.handler.__name__}"
# The "times out" number answers after the caller's read timeout; the function outlives that.
ANSWER_DELAY_SECONDS = config.PAYMENT_PROVIDER_READ_TIMEOUT.total_seconds() + TIMEOUT_MARGIN_SECONDS
TIMEOUT = Duration.seconds(int(ANSWER_DELAY_SECONDS) + 15)


class TestProviderStack(Stack):
    __test__ = False  # not a pytest test class

    def __init__(
        self, scope: Construct, construct_id: str, *, deploy_env: DeployEnv, data: DataStack, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        definition = test_provider_store.table_definition(
            deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-test-provider")
        )
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=definition["TableName"],
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,  # test transfers only; the stack's deletion takes them
        )
        name = deploy_env.prefixed("prakerja-test-provider")
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=logs.RetentionDays[defaults.LOG_RETENTION],
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {name}: its table, the provider API key, its logs",
        )
        secret = data.payment_provider_secret
        for statement in (
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="Table",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                resources=[self.table.table_arn],
            ),
            # The key the catalogue's functions present: one secret, read by both sides.
            iam.PolicyStatement(sid="ApiKey", actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]),
            iam.PolicyStatement(
                sid="ApiKeyKey",
                actions=["kms:Decrypt"],
                resources=[data.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"}},
            ),
        ):
            role.add_to_policy(statement)
        environment = {
            test_provider_store.ENV_TABLE: self.table.table_name,
            catalogue.ENV_PAYMENT_PROVIDER_SECRET: secret.secret_arn,
            handler_module.ENV_TIMEOUT_SECONDS: str(ANSWER_DELAY_SECONDS),
        }
        if deploy_env.test_accounts_other:
            environment[handler_module.ENV_OTHER_ACCOUNTS] = deploy_env.test_accounts_other
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=name,
            description=(
                "Test payment provider (development only): the HTTP provider contract with the test account numbers"
            ),
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(catalogue.FUNCTIONS_ROOT), exclude=ASSET_EXCLUDES),
            # boto3 as the functions get it (the layer, decision 0003), not whatever the runtime bundles.
            layers=[powertools.layer(self, deploy_env.powertools_layer_arn)],
            memory_size=256,
            timeout=TIMEOUT,
            environment=environment,
            role=role,
            log_group=log_group,
        )
        # Authenticated like a real provider's API: the function checks the bearer key itself.
        self.function_url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
        self.url = self.function_url.url
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "python3.13 on purpose, as every function of the project (infra/stacks/workflow.py).",
        )
        CfnOutput(self, "TestProviderUrl", value=self.url)
        CfnOutput(self, "TestProviderTableName", value=self.table.table_name)
