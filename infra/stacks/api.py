"""The partner platform / participant / operator HTTP API: API Gateway REST API in front of
the catalogue's API function, with access logs, throttling, a usage plan and a WAF web ACL.

Routes and who may call them come from prakerja_flow.routes, the definition the local
gateway (prakerja/local/gateway.py) also serves: one resource and method per route, no
catch-all. Protected methods use the catalogue's Lambda REQUEST authorizer (request
signatures, docs/decisions/0005-api-authentication.md); its refusals, and every other
answer API Gateway gives itself, come back in the API's one error shape (gateway
responses from routes.GATEWAY_RESPONSES). `authorizer=` replaces it (e.g. in tests).
"""

from __future__ import annotations

from aws_cdk import (
    ArnFormat,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import (
    aws_apigateway as apigw,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_wafv2 as wafv2,
)
from constructs import Construct

from prakerja_flow import catalogue, routes
from prakerja_flow.auth import signing, store
from prakerja_flow.handlers import request_body

from .. import defaults
from ..environment import DeployEnv
from ..nag import acknowledge
from . import api_waf
from .workflow import WorkflowStack

API_FUNCTION_KEY = catalogue.API_FUNCTION_KEY
AUTHORIZER_FUNCTION_KEY = catalogue.AUTHORIZER_FUNCTION_KEY
# What Powertools idempotency does with its records (handlers/idempotency.py).
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
STAGE_NAME = "v1"
BODY_METHODS = request_body.BODY_METHODS


class ApiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deploy_env: DeployEnv,
        workflow: WorkflowStack,
        authorizer: apigw.IAuthorizer | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.deploy_env = deploy_env
        catalogue.by_key(API_FUNCTION_KEY)  # fails loudly if the catalogue renames it
        self.handler = workflow.functions[API_FUNCTION_KEY]
        self.workflow = workflow
        api_name = deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-api")

        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{api_name}/access",
            retention=logs.RetentionDays[defaults.LOG_RETENTION],
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description="Prakerja Flow: partner platforms, participants and operators",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging needs the account-level CloudWatch role; one per account and
            # Region, shared by every environment there, so it is kept on stack deletion.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # full request/response logging would write NIKs to logs
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=defaults.API_THROTTLE_RATE_PER_SECOND,
                throttling_burst_limit=defaults.API_THROTTLE_BURST,
            ),
        )
        self.stage = self.api.deployment_stage
        self.authorizer = authorizer or self._add_authorizer()
        self._add_methods(self.authorizer)
        self._add_gateway_responses()
        self._grant_request_table_and_secrets()

        self.usage_plan = self.api.add_usage_plan(
            "PartnerPlatforms",
            name=deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-partner-platforms"),
            description="Throttling for every caller; callers are identified by their request signatures",
            throttle=apigw.ThrottleSettings(
                rate_limit=defaults.API_THROTTLE_RATE_PER_SECOND, burst_limit=defaults.API_THROTTLE_BURST
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.stage)],
        )

        self.web_acl = api_waf.web_acl(self, deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-api"))
        association = wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=self.stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
        association.node.add_dependency(self.stage)

        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "The API Gateway account-level CloudWatch role uses the AWS managed policy that API "
            "Gateway documents for it; it only lets API Gateway write its own execution logs.",
        )
        CfnOutput(self, "ApiUrl", value=self.api.url)

    def _add_authorizer(self) -> apigw.RequestAuthorizer:
        # API Gateway assumes this role to invoke the authorizer: a resource permission on
        # the function would live in the workflow stack and name this API (a stack cycle).
        invoke_role = iam.Role(
            self,
            "AuthorizerInvokeRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway invokes the request-signature authorizer with this role",
        )
        handler = self.workflow.functions[AUTHORIZER_FUNCTION_KEY]
        # Exactly this function (CDK's own grant would add every version and alias, ARN:*).
        invoke_role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[handler.function_arn])
        )
        return apigw.RequestAuthorizer(
            self,
            "SignatureAuthorizer",
            handler=handler,
            # Passed as a reference, so that RequestAuthorizer adds no grant of its own.
            assume_role=iam.Role.from_role_arn(self, "AuthorizerInvokeRoleRef", invoke_role.role_arn, mutable=False),
            # Absent headers get 401 without invoking the function (as the local gateway does).
            identity_sources=[apigw.IdentitySource.header(h) for h in (signing.KEY_ID, signing.SIGNATURE)],
            # Every signature is unique (timestamp, nonce): a cached policy could only be
            # replayed, so caching is off and each request is checked.
            results_cache_ttl=Duration.seconds(0),
        )

    def _add_methods(self, authorizer: apigw.IAuthorizer) -> None:
        integration = apigw.LambdaIntegration(
            self.handler,
            proxy=True,
            scope_permission_to_method=False,  # one permission: this API, any stage/method (no test-invoke one)
        )
        validator = self.api.add_request_validator(
            "Validator",
            request_validator_name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        # Bodies must be JSON objects; the handler validates their fields (pydantic).
        json_object = self.api.add_model(
            "JsonObjectBody",
            content_type="application/json",
            model_name="JsonObjectBody",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4,
                title="JsonObjectBody",
                type=apigw.JsonSchemaType.OBJECT,
            ),
        )
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for route in routes.ROUTES:
            resource = self.api.root
            for part in route.path.strip("/").split("/"):
                resource = resource.get_resource(part) or resource.add_resource(part)
            if route.public:
                auth: dict = {"authorization_type": apigw.AuthorizationType.NONE}
            else:
                auth = {"authorizer": authorizer, "authorization_type": authorizer.authorization_type}
            models = {"request_models": {"application/json": json_object}} if route.method in BODY_METHODS else {}
            method = resource.add_method(route.method, integration, request_validator=validator, **auth, **models)
            self.methods[(route.method, route.path)] = method
            if route.public:
                reason = (
                    f"{route.method} {route.path} is the API's own public documentation (OpenAPI spec, "
                    "Swagger UI): no participant data, nothing written; everything else is signed."
                )
                acknowledge(method, "AwsSolutions-APIG4", reason)
                acknowledge(method, "AwsSolutions-COG4", reason)
            else:
                acknowledge(
                    method,
                    "AwsSolutions-COG4",
                    "Callers are partner platforms, the participant portal and operator tools, machine "
                    "clients authenticated by HMAC request signatures in a Lambda REQUEST authorizer "
                    "(docs/decisions/0005-api-authentication.md), not Cognito end users.",
                )

    def _add_gateway_responses(self) -> None:
        """API Gateway's own answers (401/403 from the authorizer, unknown routes, bad
        bodies, throttling) in the one error shape, as the local gateway gives them."""
        for response_type, error in routes.GATEWAY_RESPONSES.items():
            body = (
                f'{{"error": {{"code": "{error.code}", "message": "{error.message}", '
                '"request_id": "$context.requestId"}}'
            )
            self.api.add_gateway_response(
                f"{response_type.title().replace('_', '')}Response",
                type=apigw.ResponseType.of(response_type),
                status_code=str(error.status),
                templates={"application/json": body},
                response_headers={"Content-Type": "'application/json'"},
            )

    def _grant_request_table_and_secrets(self) -> None:
        """Least privilege for what the catalogue cannot express: the authorizer reads
        client secrets and writes replay nonces; the API function keeps idempotency records.
        Both go to the request table (schema.idempotency_table_definition), no other table."""
        data = self.workflow.data
        request_table = data.idempotency_table.table_arn
        table_key = data.key.key_arn
        via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{self.region}.amazonaws.com"}}
        client_secrets = self.format_arn(
            service="secretsmanager",
            resource="secret",
            # Secret ARNs end in a random suffix, hence the trailing wildcard.
            resource_name=store.secret_name("*", data.table_name),
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.authorizer_policy = iam.Policy(
            self,
            "AuthorizerAccess",
            roles=[self.workflow.roles[AUTHORIZER_FUNCTION_KEY]],
            statements=[
                iam.PolicyStatement(
                    sid="ReadClientSecrets", actions=["secretsmanager:GetSecretValue"], resources=[client_secrets]
                ),
                iam.PolicyStatement(sid="RememberNonces", actions=["dynamodb:PutItem"], resources=[request_table]),
                iam.PolicyStatement(
                    sid="RequestTableKey",
                    actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[table_key],
                    conditions=via_dynamodb,
                ),
            ],
        )
        acknowledge(
            self.authorizer_policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
            f"{store.secret_name('*', data.table_name)}]",
            "One secret per API client key, created by operators when a platform is onboarded "
            "(docs/api.md); the wildcard covers only this environment's api-clients folder and "
            "Secrets Manager's random ARN suffix.",
        )
        self.api_function_policy = iam.Policy(
            self,
            "ApiIdempotencyAccess",
            roles=[self.workflow.roles[API_FUNCTION_KEY]],
            statements=[
                iam.PolicyStatement(
                    sid="IdempotencyRecords", actions=list(IDEMPOTENCY_ACTIONS), resources=[request_table]
                ),
                iam.PolicyStatement(
                    sid="RequestTableKey",
                    actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[table_key],
                    conditions=via_dynamodb,
                ),
            ],
        )
