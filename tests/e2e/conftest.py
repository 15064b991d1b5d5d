"""One local application per test module: moto, every function in its own worker processes,
the API over HTTP and the real checkout.asl.json. (moto's state is global to a process, so
only one app runs at a time.) Virtual time: Retry backoffs are recorded, not slept."""

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from localrun.shop import Shop
from localrun.stack import LocalApp
from localrun.template import Function
from tests.support.contracts import contract_violations
from tests.support.iam import granted_data_actions, recorded_actions, ungranted_calls

E2E = Path(__file__).parent


# Grants no e2e test calls, and why: the session-wide check below spares only these.
NOT_CALLED_HERE = {
    ("ReconcileOrdersFunction", "states:StopExecution"): (
        "needs a checkout still running past its worst case, which virtual time cannot hold; "
        "tests/services/orders/test_reconciling.py covers the stop"
    ),
    ("SendNotificationFunction", "dynamodb:GetItem"): (
        "Powertools idempotency reads its record only when DynamoDB does not return it with "
        "a failed condition (it does, on AWS and moto)"
    ),
    ("SendNotificationFunction", "dynamodb:DeleteItem"): (
        "Powertools idempotency deletes its record when sending fails; no e2e test fails SES"
    ),
    ("ChargePaymentFunction", "dynamodb:PutItem"): (
        "the sandbox provider's ledger; the e2e run pays through Stripe (the fault matrix, "
        "tests/reliability, runs the sandbox and calls it)"
    ),
    ("RefundPaymentFunction", "dynamodb:GetItem"): (
        "the sandbox provider's ledger (its refund reads the charge); the e2e run pays through "
        "Stripe (the fault matrix runs the sandbox and calls it)"
    ),
    **{
        (function, action): "the local run's poller receives and deletes, as Lambda's event "
        "source mapping does on AWS with the function's role"
        for function in ("ReconcileOrdersFunction", "SendNotificationFunction")
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
    },
}
_deselected: list[pytest.Item] = []


def pytest_deselected(items):
    _deselected.extend(items)


@pytest.fixture(scope="session")
def aws_call_logs(request):
    """Every module's AWS call log. After a run of the whole e2e suite with no failure, every
    data action a function's role grants must have been called (or be in NOT_CALLED_HERE)."""
    logs: list[tuple[Callable[[str], Function], Path]] = []  # (AppModel.function, log)
    yield logs
    session = request.session
    modules = {item.path for item in session.items if item.path.parent == E2E}
    if session.testsfailed or _deselected or modules != set(E2E.glob("test_*.py")):
        return  # a partial run proves nothing about what is never called
    called = {
        (function, action)
        for function_by_name, log in logs
        for function, action in recorded_actions(function_by_name, log)
    }
    never_called = {
        (function, action)
        for function, actions in granted_data_actions().items()
        for action in actions
        if (function, action) not in called and (function, action) not in NOT_CALLED_HERE
    }
    assert never_called == set(), "granted, never called: narrow the role or test the call"


@pytest.fixture(scope="module")
def app(tmp_path_factory, aws_call_logs):
    """Also records every AWS call the functions make; when the module is done, each must be
    one its function's IAM role grants (tests/template/test_least_privilege.py holds the roles
    to what the code uses; this holds the code to its roles)."""
    calls = tmp_path_factory.mktemp("aws-calls") / "calls.jsonl"
    local_app = LocalApp(aws_call_log=calls)
    aws_call_logs.append((local_app.model.function, calls))
    with local_app.start(virtual_time=True) as running:
        yield running
    assert calls.stat().st_size > 0, "no AWS call recorded: is the call log still written?"
    assert ungranted_calls(local_app.model.function, calls) == set()


@pytest.fixture(scope="module")
def shop(app):
    """When the module is done, every event its checkouts put on the bus must be what its
    published contract says (tests/contracts holds the contracts and the rules to each other)."""
    shop = Shop(app)
    shop.seed_catalog()
    shop.tap_events()
    yield shop
    assert contract_violations(shop.events()) == []


@pytest.fixture(autouse=True)
def _no_leftover_faults(app):
    yield
    app.lambdas.clear_faults()
    app.seams.clear_faults()
    app.fake_stripe.clear_faults()


def eventually(probe, timeout=20.0):
    """Asynchronous outcomes (emails, events) arrive after the execution ends."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
