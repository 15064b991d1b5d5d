"""Cross-file checks no linter does: ASL <-> template, API <-> functions, service boundaries.

cfn-lint, `sam validate --lint`, `sam build` and asl-validator run in `make validate/build`;
they do not look inside the ASL file or across nested templates, so these tests do.
"""

import ast
import json
import re

import pytest

from tests.support.asl import is_retried
from tests.support.cfn import ROOT, load_template

SERVICES = ["orders", "payments", "inventory", "notifications"]
ROOT_TEMPLATE = load_template("template.yaml")
ASL_TEXT = (ROOT / "statemachine/checkout.asl.json").read_text()


def resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def nested_templates():
    return {
        logical_id: load_template(app["Properties"]["Location"])
        for logical_id, app in resources(ROOT_TEMPLATE, "AWS::Serverless::Application").items()
    }


def state_machine():
    [machine] = resources(ROOT_TEMPLATE, "AWS::Serverless::StateMachine").values()
    return machine["Properties"]


def function_behind(value):
    """`!GetAtt App.Outputs.XArn` -> the nested template's function resource, or None."""
    if not isinstance(value, dict) or "Fn::GetAtt" not in value:
        return None
    app, attribute = value["Fn::GetAtt"]
    output = nested_templates()[app]["Outputs"][attribute.removeprefix("Outputs.")]
    logical_id = output["Value"]["Fn::GetAtt"][0]
    return nested_templates()[app]["Resources"][logical_id]


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
        assert function and function["Type"] == "AWS::Serverless::Function", name
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


def test_every_api_route_targets_an_existing_function_with_an_invoke_permission():
    api = resources(ROOT_TEMPLATE, "AWS::Serverless::Api")["Api"]["Properties"]
    permitted = {
        json.dumps(p["Properties"]["FunctionName"])
        for p in resources(ROOT_TEMPLATE, "AWS::Lambda::Permission").values()
    }
    routes = 0
    for path, methods in api["DefinitionBody"]["paths"].items():
        for method, operation in methods.items():
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            app, output = re.search(r"\$\{(\w+)\.Outputs\.(\w+)\}", uri).groups()
            target = {"Fn::GetAtt": [app, f"Outputs.{output}"]}
            function = function_behind(target)
            assert function and function["Type"] == "AWS::Serverless::Function", (path, method)
            assert json.dumps(target) in permitted, f"{method} {path}: no invoke permission"
            routes += 1
    assert routes >= 5


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
    templates = [ROOT_TEMPLATE] + [load_template(f"services/{s}/template.yaml") for s in SERVICES]
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
