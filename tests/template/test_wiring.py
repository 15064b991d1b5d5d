"""Cross-file checks no linter does: ASL <-> template, API <-> functions, service boundaries.

cfn-lint, `sam validate --lint`, `sam build` and asl-validator run in `make validate/build`;
they do not look inside the ASL file or across stacks, so these tests do. The platform calls
the services' functions by their fixed names (ecommerce-<env>-<function>); the root template
only nests the five stacks.
"""

import ast
import json
import re

import pytest

from tests.support.asl import is_retried
from tests.support.cfn import (
    PLATFORM_TEMPLATE,
    ROOT,
    SERVICES,
    function_named,
    load_template,
    ssm_reference,
)

ROOT_TEMPLATE = load_template("template.yaml")
PLATFORM = load_template(PLATFORM_TEMPLATE)
ASL_TEXT = (ROOT / "statemachine/checkout.asl.json").read_text()


def resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def state_machine():
    [machine] = resources(PLATFORM, "AWS::Serverless::StateMachine").values()
    return machine["Properties"]


def function_behind(value):
    """A platform reference to a function by its fixed name -> (service, logical id, resource)."""
    try:
        service, logical_id = function_named(value)
    except LookupError:
        return None
    template = load_template(f"services/{service}/template.yaml")
    return service, logical_id, template["Resources"][logical_id]


def test_every_asl_placeholder_has_a_substitution_and_every_substitution_is_used():
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_TEXT))
    substitutions = set(state_machine()["DefinitionSubstitutions"])
    assert placeholders - substitutions == set(), "ASL placeholders without a substitution"
    assert substitutions - placeholders == set(), "substitutions the ASL never uses"


def test_every_function_the_asl_invokes_exists_and_the_machine_may_invoke_it():
    substitutions = state_machine()["DefinitionSubstitutions"]
    invoked = set(re.findall(r'"FunctionName": "\$\{(\w+)\}"', ASL_TEXT))
    assert invoked, "the ASL invokes no function?"
    allowed = [
        resource
        for policy in state_machine()["Policies"]
        for statement in policy.get("Statement", [])
        if statement["Action"] == "lambda:InvokeFunction"
        for resource in statement["Resource"]
    ]
    for name in invoked:
        function = function_behind(substitutions[name])
        assert function and function[2]["Type"] == "AWS::Serverless::Function", name
        assert substitutions[name] in allowed, f"{name} is invoked but not allowed by IAM"


def test_every_asl_state_that_changes_state_has_retry_and_catch():
    states = json.loads(ASL_TEXT)["States"]
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        assert state.get("Retry"), f"{name} has no Retry"
        if not name.startswith("Alert"):  # alerts end in a Fail state whatever happens
            assert state.get("Catch"), f"{name} has no Catch"


COMPENSATIONS = {"RefundPayment", "ReleaseStock", "MarkOrderFailed", "FlagOrderForReconciliation"}


def test_business_errors_are_never_retried():
    business = {"OutOfStock", "UnknownSku", "PaymentDeclined", "InsufficientFunds"}
    for name, state in json.loads(ASL_TEXT)["States"].items():
        assert not is_retried(state, "ValidationError"), f"{name} retries a caller bug"
        if name not in COMPENSATIONS:  # compensations cannot raise these
            for error in business:
                assert not is_retried(state, error), f"{name} retries {error}"


def test_only_idempotent_compensations_retry_every_error():
    """A catch-all retry is safe only where repeating a step cannot do more than once."""
    for name, state in json.loads(ASL_TEXT)["States"].items():
        catch_all = any("States.ALL" in r["ErrorEquals"] for r in state.get("Retry", []))
        assert catch_all == (name in COMPENSATIONS), name


def test_compensations_retry_crashes_timeouts_and_init_failures():
    states = json.loads(ASL_TEXT)["States"]
    for name in ("RefundPayment", "ReleaseStock", "MarkOrderFailed"):
        for error in (
            "Runtime.ExitError",
            "Runtime.ImportModuleError",
            "Sandbox.Timedout",
            "States.Timeout",
            "PaymentProviderUnavailable",
            "Lambda.Unknown",
        ):
            assert is_retried(states[name], error), f"{name} gives up on {error}"


def test_every_api_route_targets_an_existing_function_that_lets_only_this_api_invoke_it():
    api = resources(PLATFORM, "AWS::Serverless::Api")["Api"]["Properties"]
    api_id = resources(PLATFORM, "AWS::SSM::Parameter")["ApiIdParameter"]["Properties"]
    assert api_id["Value"] == {"Ref": "Api"}
    source_arn = (
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        + ssm_reference(api_id["Name"]["Fn::Sub"])
        + "/*"
    )
    routes = 0
    for path, methods in api["DefinitionBody"]["paths"].items():
        for method, operation in methods.items():
            function = function_behind(operation["x-amazon-apigateway-integration"]["uri"])
            assert function and function[2]["Type"] == "AWS::Serverless::Function", (path, method)
            service, logical_id, _ = function
            permissions = [
                p["Properties"]
                for p in resources(
                    load_template(f"services/{service}/template.yaml"), "AWS::Lambda::Permission"
                ).values()
                if p["Properties"]["FunctionName"] == {"Ref": f"{logical_id}.Alias"}
            ]
            assert permissions == [
                {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Ref": f"{logical_id}.Alias"},
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {"Fn::Sub": source_arn},
                }
            ], f"{method} {path}: {logical_id} must let exactly this API invoke it"
            routes += 1
    assert routes >= 5


def test_every_service_function_has_the_fixed_name_the_platform_calls_it_by():
    for service in SERVICES:
        template = load_template(f"services/{service}/template.yaml")
        for logical_id, function in resources(template, "AWS::Serverless::Function").items():
            name = function["Properties"]["FunctionName"]["Fn::Sub"]
            kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", logical_id.removesuffix("Function")).lower()
            assert name == f"ecommerce-${{Environment}}-{kebab}", logical_id


def test_the_root_only_nests_the_five_stacks_each_with_parameters_it_declares():
    """The quick start deploys the very templates a team deploys alone: nothing flows between
    them through the root (no GetAtt of one into another), only the root's own parameters."""
    apps = resources(ROOT_TEMPLATE, "AWS::Serverless::Application")
    assert set(ROOT_TEMPLATE["Resources"]) == set(apps)
    locations = {app["Properties"]["Location"] for app in apps.values()}
    assert locations == {PLATFORM_TEMPLATE} | {f"services/{s}/template.yaml" for s in SERVICES}
    for logical_id, app in apps.items():
        declared = load_template(app["Properties"]["Location"])["Parameters"]
        for name, value in app["Properties"]["Parameters"].items():
            assert name in declared, f"{logical_id} passes {name}, which it does not declare"
            assert value == {"Ref": name}, (logical_id, name)
            assert name in ROOT_TEMPLATE["Parameters"], (logical_id, name)


@pytest.mark.parametrize("service", SERVICES)
def test_each_function_has_its_handler_a_log_group_and_a_sample_event(service):
    template = load_template(f"services/{service}/template.yaml")
    code_dir = ROOT / "services" / service / template["Globals"]["Function"]["CodeUri"]
    log_groups = {
        json.dumps(g["Properties"]["LogGroupName"])
        for g in resources(template, "AWS::Logs::LogGroup").values()
    }
    events = {p.stem for p in (ROOT / "events" / service).glob("*.json")}
    functions = resources(template, "AWS::Serverless::Function")
    assert functions
    for logical_id, function in functions.items():
        module, _, attribute = function["Properties"]["Handler"].rpartition(".")
        source = code_dir / (module.replace(".", "/") + ".py")
        assert source.exists(), f"{logical_id}: {source} missing"
        assert f"def {attribute}(" in source.read_text()
        expected = {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
        assert json.dumps(expected) in log_groups, f"{logical_id} has no log group"
        stem = re.sub(r"(?<!^)(?=[A-Z])", "-", logical_id.removesuffix("Function")).lower()
        assert any(e == stem or e.startswith(stem + "-") for e in events), (
            f"{logical_id}: no events/{service}/{stem}*.json"
        )


@pytest.mark.parametrize("service", SERVICES)
def test_functions_target_python312_on_arm64(service):
    globals_ = load_template(f"services/{service}/template.yaml")["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.12"
    assert globals_["Architectures"] == ["arm64"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_services_code(service):
    others = {f"{s}_service" for s in SERVICES if s != service}
    for source in (ROOT / "services" / service / "src").rglob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in others, f"{source} imports {name}"


def test_services_ship_distinct_top_level_modules():
    tops = {}
    for service in SERVICES:
        for entry in (ROOT / "services" / service / "src").iterdir():
            if entry.name in ("requirements.txt", "__pycache__"):
                continue
            assert entry.name not in tops, f"{entry.name} shipped by {tops.get(entry.name)}"
            tops[entry.name] = service


def test_no_policy_grants_wildcard_actions_on_data():
    templates = [PLATFORM] + [load_template(f"services/{s}/template.yaml") for s in SERVICES]
    for template in templates:
        for function in template["Resources"].values():
            for policy in function.get("Properties", {}).get("Policies", []) or []:
                for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                    actions = statement["Action"]
                    actions = actions if isinstance(actions, list) else [actions]
                    for action in actions:
                        service, _, verb = action.partition(":")
                        assert "*" not in verb, f"wildcard action {action}"
                        if service in ("dynamodb", "sqs", "s3", "ses", "states", "lambda"):
                            assert statement["Resource"] != "*", f"{action} on every resource"
