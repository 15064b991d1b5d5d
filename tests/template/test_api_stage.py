"""The REST API as CloudFormation will create it: the SAM translator's output of template.yaml.

Unless the API sets OpenApiVersion, SAM gives its Deployment `StageName: Stage`, and API Gateway
then creates a second stage named "Stage" beside StageName, with neither throttling nor access
logs. The orders routes must all ask for the user pool authorizer.
"""

import json

import pytest
from samtranslator.translator.transform import transform

from tests.support.cfn import load_template


class _NoManagedPolicies:
    def load(self) -> dict:
        return {}


@pytest.fixture(scope="module")
def translated(monkeypatch_module) -> dict:
    template = load_template("platform/template.yaml")
    resources = template["Resources"]
    # Local paths are what `sam build`/`sam package` rewrite; the translator needs their results.
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Application":
            properties["Location"] = "https://example.com/app.yaml"
        if resource["Type"] == "AWS::Serverless::StateMachine":
            properties["DefinitionUri"] = "s3://bucket/checkout.asl.json"
    return transform(template, {}, _NoManagedPolicies())["Resources"]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield patch


def of_type(resources: dict, kind: str) -> dict:
    return {k: v["Properties"] for k, v in resources.items() if v["Type"] == kind}


def test_the_api_has_only_its_configured_stage_throttled_and_access_logged(translated):
    [deployment] = of_type(translated, "AWS::ApiGateway::Deployment").values()
    assert "StageName" not in deployment, "the deployment would create a stage of its own"
    [stage] = of_type(translated, "AWS::ApiGateway::Stage").values()
    assert stage["StageName"] == {"Ref": "Environment"}
    [settings] = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert stage["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }


def test_the_access_log_is_one_json_object_of_who_what_and_how_it_ended_without_bodies(
    translated,
):
    [stage] = of_type(translated, "AWS::ApiGateway::Stage").values()
    log_format = stage["AccessLogSetting"]["Format"]
    # What API Gateway fills in at run time, as it would for one request.
    example = log_format.replace("$context.status", "200").replace("$context.responseLatency", "12")
    entry = json.loads(example)
    assert {"requestId", "ip", "caller", "route", "status", "latencyMs"} <= set(entry)
    assert entry["caller"] == "$context.authorizer.claims.sub"
    assert "body" not in log_format.lower() and "$input" not in log_format
    assert "Authorization" not in log_format and "header" not in log_format


def test_every_orders_operation_requires_the_user_pool_authorizer_and_products_stay_public(
    translated,
):
    [api] = of_type(translated, "AWS::ApiGateway::RestApi").values()
    body = api["Body"]
    [scheme_name] = body["components"]["securitySchemes"]
    scheme = body["components"]["securitySchemes"][scheme_name]
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [
        {"Fn::GetAtt": ["UserPool", "Arn"]}
    ]
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            if method == "options":  # a browser's CORS preflight carries no token
                assert operation["x-amazon-apigateway-integration"]["type"] == "mock", path
                assert operation.get("security") is None, path
                continue
            expected = [{scheme_name: []}] if path.startswith("/orders") else None
            assert operation.get("security") == expected, f"{method} {path}"
