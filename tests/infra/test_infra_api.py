"""ApiStack: REST API -> platform-api function, one method per route (routes.py), the
signature authorizer and its grants, gateway responses, validation, logs, throttling,
usage plan, WAF."""

from __future__ import annotations

import json

import pytest
from support.infra_testlib import getatt_arn, imported, lid, one, ref, resources

from infra import defaults
from infra.stacks.api import (
    API_FUNCTION_KEY,
    AUTHORIZER_FUNCTION_KEY,
    BODY_METHODS,
    IDEMPOTENCY_ACTIONS,
    STAGE_NAME,
)
from infra.stacks.api_waf import waf_body_inspection_limit
from prakerja_flow import catalogue, config, routes
from prakerja_flow.auth import signing
from prakerja_flow.data import schema
from prakerja_flow.handlers import request_body


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


def _resource_paths(template, api) -> dict:
    """Logical id (or the root's GetAtt) of every API Gateway resource -> its full path."""
    found = {json.dumps({"Fn::GetAtt": [lid(api.api), "RootResourceId"]}): ""}
    pending = dict(resources(template, "AWS::ApiGateway::Resource"))
    while pending:
        for logical_id, resource in list(pending.items()):
            parent = json.dumps(resource["Properties"]["ParentId"])
            if parent in found:
                found[json.dumps({"Ref": logical_id})] = found[parent] + "/" + resource["Properties"]["PathPart"]
                del pending[logical_id]
    return found


def test_methods_are_exactly_the_routes_each_a_lambda_proxy_integration(template, api, handler_arn):
    paths = _resource_paths(template, api)
    seen = set()
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        seen.add((props["HttpMethod"], paths[json.dumps(props["ResourceId"])]))
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert json.dumps(handler_arn) in json.dumps(integration["Uri"])
    assert seen == {(r.method, r.path) for r in routes.ROUTES}, (
        "no catch-all: the gateway serves the routes the local one does"
    )


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


def test_protected_routes_use_the_signature_authorizer_and_only_docs_are_public(template, api):
    (authorizer_lid, _) = one(template, "AWS::ApiGateway::Authorizer")
    paths = _resource_paths(template, api)
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        route = routes.by_path(props["HttpMethod"], paths[json.dumps(props["ResourceId"])])
        if route.public:
            assert props["AuthorizationType"] == "NONE" and route.family == "docs"
        else:
            assert props["AuthorizationType"] == "CUSTOM"
            assert props["AuthorizerId"] == {"Ref": authorizer_lid}


def test_authorizer_is_the_catalogue_function_uncached_invoked_by_its_own_role(synth, template):
    (_, authorizer) = one(template, "AWS::ApiGateway::Authorizer")
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["AuthorizerResultTtlInSeconds"] == 0, "signatures are unique per request: nothing to cache"
    assert (
        props["IdentitySource"] == f"method.request.header.{signing.KEY_ID},method.request.header.{signing.SIGNATURE}"
    )
    workflow = synth.system.workflow
    authorizer_arn = imported(synth.raw(workflow), getatt_arn(workflow.functions[AUTHORIZER_FUNCTION_KEY]))
    assert json.dumps(authorizer_arn) in json.dumps(props["AuthorizerUri"])
    role_lid = props["AuthorizerCredentials"]["Fn::GetAtt"][0]
    role = template["Resources"][role_lid]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    (policy,) = [
        p["Properties"]
        for p in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_lid} in p["Properties"]["Roles"]
    ]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": authorizer_arn}
    ]


def test_gateway_answers_in_the_one_error_shape(template):
    answers = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in resources(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(answers) == set(routes.GATEWAY_RESPONSES)
    for response_type, error in routes.GATEWAY_RESPONSES.items():
        props = answers[response_type]
        assert props["StatusCode"] == str(error.status)
        body = json.loads(props["ResponseTemplates"]["application/json"])
        assert body == {"error": {"code": error.code, "message": error.message, "request_id": "$context.requestId"}}
    assert (
        json.loads(answers["ACCESS_DENIED"]["ResponseTemplates"]["application/json"])["error"]["code"]
        == "$context.authorizer.code"
    )
    assert answers["UNSUPPORTED_MEDIA_TYPE"]["StatusCode"] == "415"


def _statements(template, policy) -> list[dict]:
    return template["Resources"][lid(policy)]["Properties"]["PolicyDocument"]["Statement"]


def test_authorizer_reads_only_client_secrets_and_writes_only_nonces(synth, template, api):
    data = synth.system.data
    request_table = imported(synth.raw(data), getatt_arn(data.idempotency_table))
    statements = {s["Sid"]: s for s in _statements(template, api.authorizer_policy)}
    assert set(statements) == {"ReadClientSecrets", "RememberNonces", "RequestTableKey"}
    assert statements["RememberNonces"]["Action"] == "dynamodb:PutItem"
    assert statements["RememberNonces"]["Resource"] == request_table
    assert statements["ReadClientSecrets"]["Action"] == "secretsmanager:GetSecretValue"
    secret_arn = json.dumps(statements["ReadClientSecrets"]["Resource"])
    assert f":secret:{data.table_name}/api-clients/*" in secret_arn
    assert "dynamodb." in json.dumps(statements["RequestTableKey"]["Condition"])
    (attached,) = template["Resources"][lid(api.authorizer_policy)]["Properties"]["Roles"]
    assert lid(synth.system.workflow.roles[AUTHORIZER_FUNCTION_KEY]) in json.dumps(attached)


def test_api_function_keeps_idempotency_records_in_the_request_table_only(synth, template, api):
    data = synth.system.data
    request_table = imported(synth.raw(data), getatt_arn(data.idempotency_table))
    statements = {s["Sid"]: s for s in _statements(template, api.api_function_policy)}
    assert set(statements) == {"IdempotencyRecords", "RequestTableKey"}
    assert set(statements["IdempotencyRecords"]["Action"]) == set(IDEMPOTENCY_ACTIONS)
    assert statements["IdempotencyRecords"]["Resource"] == request_table
    (attached,) = template["Resources"][lid(api.api_function_policy)]["Properties"]["Roles"]
    assert lid(synth.system.workflow.roles[API_FUNCTION_KEY]) in json.dumps(attached)


def test_request_table_is_the_one_the_functions_derive(synth):
    from prakerja_flow.auth import store

    data = synth.system.data
    definition = schema.idempotency_table_definition(data.table_name)
    assert (
        synth.raw(data)["Resources"][lid(data.idempotency_table)]["Properties"]["TableName"] == definition["TableName"]
    )
    assert definition["TableName"] == data.table_name + schema.IDEMPOTENCY_TABLE_SUFFIX
    assert store.secret_name("k", data.table_name) == f"{data.table_name}/api-clients/k"


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

    def refusal(rule, response_type):
        error = routes.GATEWAY_RESPONSES[response_type]
        response = rule["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == error.status
        body = props["CustomResponseBodies"][response["CustomResponseBodyKey"]]
        assert body["ContentType"] == "APPLICATION_JSON"
        assert json.loads(body["Content"]) == {
            "error": {"code": error.code, "message": error.message, "request_id": None}
        }

    rate = rules["RateLimitPerIp"]
    refusal(rate, "THROTTLED")
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == defaults.WAF_RATE_LIMIT_PER_IP_5_MIN
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"

    size = rules["BodyTooLarge"]
    refusal(size, "REQUEST_TOO_LARGE")
    constraint = size["Statement"]["SizeConstraintStatement"]
    assert constraint["Size"] == config.MAX_REQUEST_BODY_BYTES
    assert constraint["ComparisonOperator"] == "GT"
    assert constraint["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert props["AssociationConfig"]["RequestBody"]["API_GATEWAY"][
        "DefaultSizeInspectionLimit"
    ] == waf_body_inspection_limit(config.MAX_REQUEST_BODY_BYTES)

    # Proxy integrations pass bodies of undeclared content types on unvalidated: refused by
    # WAF, before routing and authorisation, as the local gateway does.
    media = rules["UnsupportedMediaType"]
    refusal(media, "UNSUPPORTED_MEDIA_TYPE")
    assert media["Priority"] < rules["AWSManagedRulesCommonRuleSet"]["Priority"]
    method, not_json = media["Statement"]["AndStatement"]["Statements"]
    assert method["RegexMatchStatement"]["FieldToMatch"] == {"Method": {}}
    assert method["RegexMatchStatement"]["RegexString"] == "^(" + "|".join(BODY_METHODS) + ")$"
    content_type = not_json["NotStatement"]["Statement"]["RegexMatchStatement"]
    assert content_type["FieldToMatch"] == {"SingleHeader": {"Name": "content-type"}}
    assert content_type["RegexString"] == request_body.JSON_MEDIA_TYPE
    assert content_type["TextTransformations"] == [{"Priority": 0, "Type": "LOWERCASE"}]


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
