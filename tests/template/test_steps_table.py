"""The step table in docs/checkout-state-machine.md is the map from a state to its function, its
handler file and its errors: it must say what the ASL and the templates say."""

import ast
import json
import re

import pytest

from tests.support.asl import is_retried
from tests.support.cfn import PLATFORM_TEMPLATE, ROOT, function_named, load_template

DOC = ROOT / "docs" / "checkout-state-machine.md"
ASL = json.loads((ROOT / "statemachine" / "checkout.asl.json").read_text())
PLATFORM = load_template(PLATFORM_TEMPLATE)
# Retried by every Lambda task: AWS's transient errors, not a function's own.
SHARED_TRANSIENT = {
    "Sandbox.Timedout",
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "InternalServerError",
    "Runtime.ExitError",
    "Runtime.Unknown",
}
# Business outcomes and caller bugs: retrying cannot change them.
TRANSIENT_BY_DESIGN = {"PaymentProviderUnavailable", "TransactionConflictException"}


def step_table() -> dict[str, dict[str, object]]:
    section = DOC.read_text().split("## Steps, functions and errors", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table = {}
    for row in rows:
        state, runs, handler, errors = (cell.strip() for cell in row.strip("|").split("|"))
        table[state.strip("`")] = {
            "runs": runs.strip("`"),
            "handler": handler.strip("`"),
            "errors": [e.strip().strip("`") for e in errors.split(",")],
        }
    return table


TABLE = step_table()
TASKS = {name: state for name, state in ASL["States"].items() if state["Type"] == "Task"}


def lambda_function(state: dict) -> tuple[dict, str, str] | None:
    """(template, logical id, service folder) of the function a Lambda task runs, else None."""
    name = state.get("Parameters", {}).get("FunctionName", "")
    placeholder = re.fullmatch(r"\$\{(\w+)\}", name)
    if not placeholder:
        return None
    machine = next(
        r for r in PLATFORM["Resources"].values() if r["Type"] == "AWS::Serverless::StateMachine"
    )
    service, logical_id = function_named(
        machine["Properties"]["DefinitionSubstitutions"][placeholder[1]]
    )
    return load_template(f"services/{service}/template.yaml"), logical_id, service


def test_the_table_lists_every_task_state_and_nothing_else():
    assert set(TABLE) == set(TASKS)


@pytest.mark.parametrize("state", sorted(TASKS))
def test_each_row_names_what_the_state_runs(state):
    function = lambda_function(TASKS[state])
    if function is None:
        integration = TASKS[state]["Resource"].removeprefix("arn:aws:states:::")
        assert TABLE[state]["runs"] == integration
        assert TABLE[state]["handler"] == "-"
        return
    template, logical_id, service = function
    assert TABLE[state]["runs"] == logical_id
    handler = template["Resources"][logical_id]["Properties"]["Handler"]
    module = handler.rpartition(".")[0].replace(".", "/")
    assert TABLE[state]["handler"] == f"services/{service}/src/{module}.py"
    assert (ROOT / TABLE[state]["handler"]).is_file()


@pytest.mark.parametrize("state", sorted(s for s in TASKS if lambda_function(TASKS[s])))
def test_each_listed_error_is_a_class_of_that_service(state):
    _, _, service = lambda_function(TASKS[state])
    errors_module = ROOT / f"services/{service}/src/{service}_service/errors.py"
    classes = {
        node.name
        for node in ast.walk(ast.parse(errors_module.read_text()))
        if isinstance(node, ast.ClassDef)
    }
    for error in TABLE[state]["errors"]:
        assert error in classes | {"ValidationError"}, f"{state}: {error} is not in {errors_module}"


@pytest.mark.parametrize("state", sorted(TASKS))
def test_every_error_a_state_retries_by_name_is_in_its_row(state):
    retried = {e for r in TASKS[state].get("Retry", []) for e in r["ErrorEquals"]}
    own = {
        e for e in retried if not e.startswith(("Lambda.", "States.")) and e not in SHARED_TRANSIENT
    }
    assert own <= set(TABLE[state]["errors"]), (
        f"{state} retries {own - set(TABLE[state]['errors'])}"
    )


@pytest.mark.parametrize("state", sorted(s for s in TASKS if lambda_function(TASKS[s])))
def test_no_listed_business_error_is_retried(state):
    business = set(TABLE[state]["errors"]) - TRANSIENT_BY_DESIGN
    retried = {error for error in business if is_retried(TASKS[state], error)}
    assert retried == set(), f"{state} retries business errors {retried}"
