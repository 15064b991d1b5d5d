"""Canary deploys: every function is published behind the alias "live", CodeDeploy moves that
alias (prod: a 10% canary first) and rolls it back when the service's errors alarm fires, and
every caller (the state machine, the API, queues, schedules, the orders service) calls the
alias, so nothing bypasses a canary by calling $LATEST.
"""

import re

import pytest

from tests.support.cfn import PLATFORM_TEMPLATE, SERVICES, load_template
from tests.support.iam import translate

ALIAS = "live"


def resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


@pytest.mark.parametrize("service", SERVICES)
def test_every_function_deploys_behind_the_alias_with_a_canary_in_prod(service):
    template = load_template(f"services/{service}/template.yaml")
    globals_ = template["Globals"]["Function"]
    assert globals_["AutoPublishAlias"] == ALIAS
    preference = globals_["DeploymentPreference"]
    assert preference["Type"] == {"Fn::If": ["IsProd", "Canary10Percent10Minutes", "AllAtOnce"]}
    assert template["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}
    for logical_id, function in resources(template, "AWS::Serverless::Function").items():
        for key in ("AutoPublishAlias", "DeploymentPreference"):
            assert key not in function["Properties"], f"{logical_id} overrides {key}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_rollback_alarm_watches_every_function_of_the_service(service):
    template = load_template(f"services/{service}/template.yaml")
    [alarm_ref] = template["Globals"]["Function"]["DeploymentPreference"]["Alarms"]
    alarm = template["Resources"][alarm_ref["Ref"]]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    watched = {
        dimension["Value"]["Ref"]
        for query in alarm["Properties"]["Metrics"]
        if "MetricStat" in query
        for dimension in query["MetricStat"]["Metric"].get("Dimensions", [])
        if dimension["Name"] == "FunctionName"
    }
    assert watched == set(resources(template, "AWS::Serverless::Function"))


@pytest.mark.parametrize("service", SERVICES)
def test_what_the_service_hands_out_is_the_alias(service):
    """Its API permission, queue mappings, published ARNs and outputs name the alias."""
    template = load_template(f"services/{service}/template.yaml")
    functions = set(resources(template, "AWS::Serverless::Function"))
    references = []
    for kind in ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping"):
        references += [r["Properties"]["FunctionName"] for r in resources(template, kind).values()]
    references += [
        p["Properties"]["Value"]
        for p in resources(template, "AWS::SSM::Parameter").values()
        if p["Properties"]["Name"]["Fn::Sub"].endswith("-function/arn")
    ]
    references += [
        output["Value"]
        for name, output in template.get("Outputs", {}).items()
        if name.endswith("FunctionArn")
    ]
    assert references
    for reference in references:
        assert reference.keys() == {"Ref"}, reference
        logical_id, _, attribute = reference["Ref"].partition(".")
        assert logical_id in functions and attribute == "Alias", reference


def test_the_platform_calls_every_function_through_the_alias():
    text = str(load_template(PLATFORM_TEMPLATE)["Resources"])
    calls = re.findall(r":function:ecommerce-\$\{Environment\}-([a-z-]+)(:[a-z]+)?", text)
    assert len(calls) >= 20  # 7 task substitutions, their 7 IAM grants, 6 API routes
    assert [name for name, qualifier in calls if qualifier != f":{ALIAS}"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_as_cloudformation_gets_it_codedeploy_moves_each_alias_and_rolls_back_on_the_alarm(service):
    """What SAM's transform makes of the service: a deployment group per function that watches
    the errors alarm and rolls back, and an alias CloudFormation updates only through it."""
    translated = translate(f"services/{service}/template.yaml")["Resources"]
    functions = [
        logical_id
        for logical_id, resource in load_template(f"services/{service}/template.yaml")[
            "Resources"
        ].items()
        if resource["Type"] == "AWS::Serverless::Function"
    ]
    for function in functions:
        group = translated[f"{function}DeploymentGroup"]["Properties"]
        assert group["AlarmConfiguration"] == {
            "Enabled": True,
            "Alarms": [{"Name": {"Ref": "FunctionErrorsAlarm"}}],
        }
        assert set(group["AutoRollbackConfiguration"]["Events"]) >= {
            "DEPLOYMENT_FAILURE",
            "DEPLOYMENT_STOP_ON_ALARM",
        }
        alias = translated[f"{function}Alias{ALIAS}"]
        assert alias["Properties"]["Name"] == ALIAS
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        assert update["DeploymentGroupName"] == {"Ref": f"{function}DeploymentGroup"}
