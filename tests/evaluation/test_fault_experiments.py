"""The AWS FIS experiments (evaluation/fault-experiments.yaml) reach the functions they name, and
only where a deploy asked for fault injection."""

from pathlib import Path

import pytest

from localrun.stack import LocalApp
from tests.support.cfn import ROOT, load_template

EXPERIMENTS = load_template("evaluation/fault-experiments.yaml")
SERVICE_TEMPLATES = sorted(Path(ROOT, "services").glob("*/template.yaml"))
FIS_VARIABLES = {"AWS_FIS_CONFIGURATION_LOCATION", "AWS_LAMBDA_EXEC_WRAPPER"}


def _experiments() -> dict[str, dict]:
    return {
        name: resource["Properties"]
        for name, resource in EXPERIMENTS["Resources"].items()
        if resource["Type"] == "AWS::FIS::ExperimentTemplate"
    }


def test_each_experiment_targets_a_service_by_the_tags_its_functions_carry():
    tags_by_service = {
        template.parent.name: load_template(template)["Globals"]["Function"]["Tags"]
        for template in SERVICE_TEMPLATES
    }
    targeted = set()
    for name, experiment in _experiments().items():
        assert experiment["StopConditions"][0]["Source"] == "aws:cloudwatch:alarm", name
        for target in experiment["Targets"].values():
            assert target["ResourceType"] == "aws:lambda:function"
            service = target["ResourceTags"]["checkout:service"]
            assert tags_by_service[service]["checkout:service"] == service
            assert set(target["ResourceTags"]) <= set(tags_by_service[service])
            targeted.add(service)
        for action in experiment["Actions"].values():
            assert action["ActionId"].startswith("aws:lambda:invocation-")
            assert set(action["Targets"].values()) <= set(experiment["Targets"])
    assert targeted == {"payments", "inventory", "orders"}


@pytest.mark.parametrize("template", SERVICE_TEMPLATES, ids=lambda p: p.parent.name)
def test_the_extension_is_attached_only_when_a_deploy_asks_for_it(template):
    document = load_template(template)
    assert document["Parameters"]["FaultInjectionConfigLocation"]["Default"] == ""
    function = document["Globals"]["Function"]
    [_, extension] = function["Layers"]
    condition, layer, otherwise = extension["Fn::If"]
    assert condition == "FaultInjection" and otherwise == {"Ref": "AWS::NoValue"}
    assert "/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/" in layer
    variables = function["Environment"]["Variables"]
    for name in FIS_VARIABLES:
        assert variables[name]["Fn::If"][0] == "FaultInjection", name


def test_a_default_deploy_runs_without_the_extension():
    """The local run resolves the templates as a deploy with default parameters would."""
    for function in LocalApp().model.functions:
        assert not FIS_VARIABLES & set(function.environment), function.logical_id


def test_the_checkouts_roles_may_read_the_faults_and_nothing_else_may_write_them():
    statements = EXPERIMENTS["Resources"]["FaultConfigBucketPolicy"]["Properties"][
        "PolicyDocument"
    ]["Statement"]
    readers = [s for s in statements if s["Effect"] == "Allow"]
    assert {a for s in readers for a in [s["Action"]]} == {"s3:ListBucket", "s3:GetObject"}
    for statement in readers:
        principal_arn = statement["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"]
        assert principal_arn.endswith(":role/${CheckoutStackName}-*")
