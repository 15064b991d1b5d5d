"""An order is due for the reconciler only once its checkout cannot still be running: the
reconcile delay must outlast the state machine's worst case, computed here from the ASL's Retry
settings and the functions' timeouts, so a change to either cannot silently break it."""

import json

from tests.support.asl import worst_case_seconds
from tests.support.cfn import PLATFORM_TEMPLATE, ROOT, function_named, load_template

ASL = json.loads((ROOT / "statemachine" / "checkout.asl.json").read_text())


def lambda_timeouts() -> dict[str, int]:
    """ "${XFunctionArn}" (as the ASL names a function) -> that function's Timeout."""
    platform = load_template(PLATFORM_TEMPLATE)["Resources"]
    machine = next(r for r in platform.values() if r["Type"] == "AWS::Serverless::StateMachine")
    timeouts = {}
    for placeholder, value in machine["Properties"]["DefinitionSubstitutions"].items():
        if not placeholder.endswith("FunctionArn"):
            continue
        service, logical_id = function_named(value)
        template = load_template(f"services/{service}/template.yaml")
        function = template["Resources"][logical_id]["Properties"]
        timeout = function.get("Timeout", template["Globals"]["Function"]["Timeout"])
        timeouts["${" + placeholder + "}"] = timeout
    return timeouts


# The longest an execution may run, by workflow type (Step Functions quotas).
WORKFLOW_LIMIT_SECONDS = {"STANDARD": 365 * 24 * 3600, "EXPRESS": 300}


def workflow_types() -> list[str]:
    """The types the template lets a deploy choose: a literal Type, or a parameter's values."""
    platform = load_template(PLATFORM_TEMPLATE)
    machine = next(
        r for r in platform["Resources"].values() if r["Type"] == "AWS::Serverless::StateMachine"
    )
    chosen = machine["Properties"].get("Type", "STANDARD")
    if isinstance(chosen, dict):
        return platform["Parameters"][chosen["Ref"]]["AllowedValues"]
    return [chosen]


def test_every_workflow_type_the_template_allows_fits_the_worst_case():
    """Express cuts an execution off at 5 minutes, mid-compensation if need be: it may be
    offered only once every retry of every step fits."""
    worst = worst_case_seconds(ASL, lambda_timeouts())
    for workflow_type in workflow_types():
        limit = WORKFLOW_LIMIT_SECONDS[workflow_type]
        print(f"{workflow_type}: worst case {worst:.0f} s, limit {limit} s")
        assert worst < limit, workflow_type


def test_every_task_is_bounded():
    timeouts = lambda_timeouts()
    for name, state in ASL["States"].items():
        if state["Type"] == "Task":
            function = state.get("Parameters", {}).get("FunctionName")
            assert function in timeouts or "TimeoutSeconds" in state, f"{name} has no bound"


def test_orders_are_reconciled_only_after_the_checkouts_worst_case():
    worst = worst_case_seconds(ASL, lambda_timeouts())
    orders = load_template("services/orders/template.yaml")
    reconcile_after = orders["Parameters"]["ReconcileAfterSeconds"]["Default"]
    print(
        f"checkout worst case: {worst:.0f} s; orders due for reconciling after {reconcile_after} s"
    )
    assert worst < reconcile_after


def test_the_computation_counts_every_attempt_and_capped_backoff():
    asl = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "${F}"},
                "Retry": [
                    {
                        "ErrorEquals": ["X"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 3,
                        "BackoffRate": 2.0,
                        "MaxDelaySeconds": 5,
                    },
                    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}],
                "Next": "C",
            },
            "B": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "TimeoutSeconds": 7,
                "End": True,
            },
            "C": {"Type": "Succeed"},
        },
    }
    # A: 5 attempts of 10 s + delays 2, 4, 5 (capped) and 1; then the slower branch, B: 7 s.
    assert worst_case_seconds(asl, {"${F}": 10}) == 50 + 12 + 7
