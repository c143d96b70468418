"""The API's WAF web ACL (infra/stacks/api.py associates it with the stage): what it refuses
answers as the API does, in the one error shape of routes.GATEWAY_RESPONSES."""

from __future__ import annotations

import json

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from prakerja_flow import config, routes
from prakerja_flow.handlers import request_body

from .. import defaults

# WAF rules that block answer like these gateway responses (routes.GATEWAY_RESPONSES).
WAF_REFUSALS = ("THROTTLED", "REQUEST_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE")

# WAF inspects the first 16 KB of an API Gateway request body by default; larger limits
# cost extra per request and must be set on the web ACL.
_WAF_BODY_LIMITS = {16: "KB_16", 32: "KB_32", 48: "KB_48", 64: "KB_64"}


def waf_body_inspection_limit(max_body_bytes: int) -> str:
    for kib, name in sorted(_WAF_BODY_LIMITS.items()):
        if max_body_bytes <= kib * 1024:
            return name
    raise ValueError(f"WAF cannot inspect request bodies of {max_body_bytes} bytes (64 KB at most)")


def web_acl(scope: Construct, name: str) -> wafv2.CfnWebACL:
    """The API stage's web ACL: rate limit per IP, body size, JSON only, AWS common rules;
    its refusals in the API's one error shape."""

    def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
        )

    def refuse(response_type: str) -> wafv2.CfnWebACL.RuleActionProperty:
        # Blocked in the API's one error shape and status, as the local gateway answers.
        error = routes.GATEWAY_RESPONSES[response_type]
        return wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                    response_code=error.status, custom_response_body_key=error.code
                )
            )
        )

    bodies = {
        routes.GATEWAY_RESPONSES[kind].code: wafv2.CfnWebACL.CustomResponseBodyProperty(
            content_type="APPLICATION_JSON",
            content=json.dumps(
                {
                    "error": {
                        "code": routes.GATEWAY_RESPONSES[kind].code,
                        "message": routes.GATEWAY_RESPONSES[kind].message,
                        "request_id": None,
                    }
                }
            ),
        )
        for kind in WAF_REFUSALS
    }
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=0,
            action=refuse("THROTTLED"),
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
            action=refuse("REQUEST_TOO_LARGE"),
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
        # API Gateway validates a body only against the model of its declared content type
        # and passes any other content type on to a proxy integration unvalidated (and
        # UNSUPPORTED_MEDIA_TYPE comes only from mapping templates, which proxy
        # integrations do not have): bodies not declared as JSON are refused here, with
        # the pattern the API function checks again (handlers/request_body.py).
        wafv2.CfnWebACL.RuleProperty(
            name="UnsupportedMediaType",
            priority=2,
            action=refuse("UNSUPPORTED_MEDIA_TYPE"),
            statement=wafv2.CfnWebACL.StatementProperty(
                and_statement=wafv2.CfnWebACL.AndStatementProperty(
                    statements=[
                        wafv2.CfnWebACL.StatementProperty(
                            regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
                                regex_string=f"^({'|'.join(request_body.BODY_METHODS)})$",
                                text_transformations=[
                                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                ],
                            )
                        ),
                        wafv2.CfnWebACL.StatementProperty(
                            not_statement=wafv2.CfnWebACL.NotStatementProperty(
                                statement=wafv2.CfnWebACL.StatementProperty(
                                    regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                                        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                            single_header={"Name": "content-type"}
                                        ),
                                        regex_string=request_body.JSON_MEDIA_TYPE,
                                        text_transformations=[
                                            wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")
                                        ],
                                    )
                                )
                            )
                        ),
                    ]
                )
            ),
            visibility_config=visibility("UnsupportedMediaType"),
        ),
        wafv2.CfnWebACL.RuleProperty(
            name="AWSManagedRulesCommonRuleSet",
            priority=3,
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
        scope,
        "WebAcl",
        name=name,
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility(name),
        rules=rules,
        custom_response_bodies=bodies,
        association_config=wafv2.CfnWebACL.AssociationConfigProperty(
            request_body={
                "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                    default_size_inspection_limit=waf_body_inspection_limit(config.MAX_REQUEST_BODY_BYTES)
                )
            }
        ),
    )
