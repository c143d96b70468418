"""The partner platform / participant / operator HTTP API: API Gateway REST API in front of
the catalogue's API function, with access logs, throttling, a usage plan and a WAF web ACL.

Authorization seam: pass `authorizer=` (an apigateway.IAuthorizer, e.g. a Lambda
TOKEN/REQUEST authorizer or a Cognito user pool authorizer) and every method uses it.
Until the issue that brings authentication lands, methods are open and that is
acknowledged below; per-platform API keys will attach to `usage_plan`.
"""

from __future__ import annotations

from aws_cdk import (
    CfnOutput,
    RemovalPolicy,
    Stack,
    aws_apigateway as apigw,
    aws_logs as logs,
    aws_wafv2 as wafv2,
)
from constructs import Construct
from prakerja_flow import catalogue, config

from .. import defaults
from ..environment import DeployEnv
from ..nag import acknowledge
from .workflow import WorkflowStack

API_FUNCTION_KEY = catalogue.API_FUNCTION_KEY
STAGE_NAME = "v1"
BODYLESS_METHODS = ("GET", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")

# WAF inspects the first 16 KB of an API Gateway request body by default; larger limits
# cost extra per request and must be set on the web ACL.
_WAF_BODY_LIMITS = {16: "KB_16", 32: "KB_32", 48: "KB_48", 64: "KB_64"}


def waf_body_inspection_limit(max_body_bytes: int) -> str:
    for kib, name in sorted(_WAF_BODY_LIMITS.items()):
        if max_body_bytes <= kib * 1024:
            return name
    raise ValueError(f"WAF cannot inspect request bodies of {max_body_bytes} bytes (64 KB at most)")


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
        self._add_methods(authorizer)

        self.usage_plan = self.api.add_usage_plan(
            "PartnerPlatforms",
            name=deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-partner-platforms"),
            description="Partner platforms; per-platform API keys are added by a later issue",
            throttle=apigw.ThrottleSettings(
                rate_limit=defaults.API_THROTTLE_RATE_PER_SECOND, burst_limit=defaults.API_THROTTLE_BURST
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.stage)],
        )

        self.web_acl = self._add_web_acl(deploy_env.prefixed(f"{catalogue.SERVICE_NAME}-api"))
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

    def _add_methods(self, authorizer: apigw.IAuthorizer | None) -> None:
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
        if authorizer is None:
            auth: dict = {"authorization_type": apigw.AuthorizationType.NONE}
            reason = (
                "Authentication of partner platforms, participants and operators is a later issue; "
                "it plugs in through ApiStack(authorizer=...). Until then the API is open and "
                "protected by WAF, throttling and the handler's own checks."
            )
            acknowledge(self.api, "AwsSolutions-APIG4", reason)
            acknowledge(self.api, "AwsSolutions-COG4", reason)
        else:
            auth = {"authorizer": authorizer, "authorization_type": authorizer.authorization_type}

        proxy = self.api.root.add_resource("{proxy+}")
        for resource in (self.api.root, proxy):
            for verb in BODYLESS_METHODS:
                resource.add_method(verb, integration, request_validator=validator, **auth)
            for verb in BODY_METHODS:
                resource.add_method(
                    verb,
                    integration,
                    request_validator=validator,
                    request_models={"application/json": json_object},
                    **auth,
                )

    def _add_web_acl(self, name: str) -> wafv2.CfnWebACL:
        def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
            )

        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="RateLimitPerIp",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=defaults.WAF_RATE_LIMIT_PER_IP_5_MIN,
                        aggregate_key_type="IP",
                        evaluation_window_sec=300,
                    )
                ),
                visibility_config=visibility("RateLimitPerIp"),
            ),
            wafv2.CfnWebACL.RuleProperty(
                name="BodyTooLarge",
                priority=1,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                            body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                        ),
                        comparison_operator="GT",
                        size=config.MAX_REQUEST_BODY_BYTES,
                        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                    )
                ),
                visibility_config=visibility("BodyTooLarge"),
            ),
            wafv2.CfnWebACL.RuleProperty(
                name="AWSManagedRulesCommonRuleSet",
                priority=2,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name="AWSManagedRulesCommonRuleSet",
                        # Its 8 KB body limit would block bodies our own rule allows (config.MAX_REQUEST_BODY_BYTES).
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name="SizeRestrictions_BODY",
                                action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                            )
                        ],
                    )
                ),
                visibility_config=visibility("AWSManagedRulesCommonRuleSet"),
            ),
        ]
        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility(name),
            rules=rules,
            association_config=wafv2.CfnWebACL.AssociationConfigProperty(
                request_body={
                    "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                        default_size_inspection_limit=waf_body_inspection_limit(config.MAX_REQUEST_BODY_BYTES)
                    )
                }
            ),
        )
