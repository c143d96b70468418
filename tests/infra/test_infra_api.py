"""ApiStack: REST API -> platform-api function, validation, logs, throttling, usage plan, WAF."""

from __future__ import annotations

import json

import pytest
from infra import defaults
from infra.stacks.api import API_FUNCTION_KEY, BODY_METHODS, BODYLESS_METHODS, STAGE_NAME, waf_body_inspection_limit
from infra_testlib import getatt_arn, imported, lid, one, ref, resources
from prakerja_flow import catalogue, config


@pytest.fixture(scope="module")
def api(synth):
    return synth.system.api


@pytest.fixture(scope="module")
def template(synth, api) -> dict:
    return synth.raw(api)


@pytest.fixture(scope="module")
def handler_arn(synth) -> dict:
    workflow = synth.system.workflow
    return imported(synth.raw(workflow), getatt_arn(workflow.functions[API_FUNCTION_KEY]))


def test_api_function_is_in_the_catalogue():
    assert catalogue.by_key(API_FUNCTION_KEY)


def test_regional_rest_api(template):
    _, rest_api = one(template, "AWS::ApiGateway::RestApi")
    assert rest_api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_root_and_proxy_methods_are_lambda_proxy_integrations(template, api, handler_arn):
    methods = resources(template, "AWS::ApiGateway::Method").values()
    proxy_lid = next(k for k, r in resources(template, "AWS::ApiGateway::Resource").items() if r["Properties"]["PathPart"] == "{proxy+}")
    root = {"Fn::GetAtt": [lid(api.api), "RootResourceId"]}
    seen = set()
    for method in methods:
        props = method["Properties"]
        where = "root" if props["ResourceId"] == root else ("proxy" if props["ResourceId"] == {"Ref": proxy_lid} else None)
        assert where, props["ResourceId"]
        seen.add((where, props["HttpMethod"]))
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert json.dumps(handler_arn) in json.dumps(integration["Uri"])
    verbs = set(BODYLESS_METHODS) | set(BODY_METHODS)
    assert seen == {(w, v) for w in ("root", "proxy") for v in verbs}


def test_bodies_are_validated_as_json_objects(template):
    (validator_lid, validator) = one(template, "AWS::ApiGateway::RequestValidator")
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    (model_lid, model) = one(template, "AWS::ApiGateway::Model")
    assert model["Properties"]["ContentType"] == "application/json"
    assert model["Properties"]["Schema"]["type"] == "object"
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        assert props["RequestValidatorId"] == {"Ref": validator_lid}
        if props["HttpMethod"] in BODY_METHODS:
            assert props["RequestModels"] == {"application/json": {"Ref": model_lid}}
        else:
            assert "RequestModels" not in props


def test_methods_are_open_until_the_authorizer_seam_is_used(template):
    # A later issue passes ApiStack(authorizer=...); then this test changes with it.
    for method in resources(template, "AWS::ApiGateway::Method").values():
        assert method["Properties"]["AuthorizationType"] == "NONE"


def test_lambda_permission_is_scoped_to_this_api(template, api, handler_arn):
    permissions = [p["Properties"] for p in resources(template, "AWS::Lambda::Permission").values()]
    assert len(permissions) == 1
    permission = permissions[0]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == handler_arn
    assert ref(api.api) in permission["SourceArn"]["Fn::Join"][1]


def test_stage_logs_traces_and_throttles(template, api):
    (_, stage) = one(template, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == STAGE_NAME
    assert props["TracingEnabled"] is True
    assert ref(api.access_logs) in props["AccessLogSetting"]["DestinationArn"]["Fn::Join"][1]
    assert "$context.requestId" in props["AccessLogSetting"]["Format"]
    (setting,) = props["MethodSettings"]
    assert setting["HttpMethod"] == "*" and setting["ResourcePath"] == "/*"
    assert setting["LoggingLevel"] in ("ERROR", "INFO")
    assert setting["DataTraceEnabled"] is False, "request/response bodies hold NIKs"
    assert setting["ThrottlingRateLimit"] == defaults.API_THROTTLE_RATE_PER_SECOND
    assert setting["ThrottlingBurstLimit"] == defaults.API_THROTTLE_BURST


def test_access_log_group(template, api):
    group = template["Resources"][lid(api.access_logs)]["Properties"]
    assert group["RetentionInDays"] > 0


def test_usage_plan_covers_the_stage(template, api):
    (_, plan) = one(template, "AWS::ApiGateway::UsagePlan")
    props = plan["Properties"]
    assert props["ApiStages"][0]["ApiId"] == ref(api.api)
    assert props["ApiStages"][0]["Stage"] == ref(api.stage)
    assert props["Throttle"] == {
        "RateLimit": defaults.API_THROTTLE_RATE_PER_SECOND,
        "BurstLimit": defaults.API_THROTTLE_BURST,
    }


def test_web_acl_rules(template):
    (_, acl) = one(template, "AWS::WAFv2::WebACL")
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL"
    assert props["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in props["Rules"]}
    assert len({r["Priority"] for r in props["Rules"]}) == len(rules)

    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert (common["VendorName"], common["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]

    rate = rules["RateLimitPerIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == defaults.WAF_RATE_LIMIT_PER_IP_5_MIN
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"

    size = rules["BodyTooLarge"]
    assert size["Action"] == {"Block": {}}
    constraint = size["Statement"]["SizeConstraintStatement"]
    assert constraint["Size"] == config.MAX_REQUEST_BODY_BYTES
    assert constraint["ComparisonOperator"] == "GT"
    assert constraint["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert props["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"] == waf_body_inspection_limit(
        config.MAX_REQUEST_BODY_BYTES
    )


def test_web_acl_is_associated_with_the_stage(template, api):
    (_, association) = one(template, "AWS::WAFv2::WebACLAssociation")
    props = association["Properties"]
    assert props["WebACLArn"] == {"Fn::GetAtt": [next(iter(resources(template, "AWS::WAFv2::WebACL"))), "Arn"]}
    parts = props["ResourceArn"]["Fn::Join"][1]
    assert ref(api.api) in parts and ref(api.stage) in parts


@pytest.mark.parametrize(
    ("size", "limit"), [(1, "KB_16"), (16 * 1024, "KB_16"), (16 * 1024 + 1, "KB_32"), (64 * 1024, "KB_64")]
)
def test_waf_body_inspection_limit(size, limit):
    assert waf_body_inspection_limit(size) == limit


def test_waf_cannot_inspect_bigger_bodies():
    with pytest.raises(ValueError):
        waf_body_inspection_limit(64 * 1024 + 1)
