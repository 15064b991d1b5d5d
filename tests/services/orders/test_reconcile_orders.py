"""ReconcileOrdersFunction as Lambda runs it, driven by the events/orders reconcile samples:
the outside world (state machine status, compensation functions, event bus) faked, the
orders table real (moto)."""

import copy
import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from orders_service import domain
from orders_service.repository import OrdersRepository
from tests.services.orders.test_reconciling import (
    PAST,
    QUOTE,
    FakeCompensations,
    FakeOutcomes,
    FakeWorkflow,
)
from tests.support.events import load_event

TIMED_OUT = "orders/reconcile-orders-execution-timed-out.json"
SWEEP = "orders/reconcile-orders-sweep.json"
ORDER_ID = json.loads(load_event(TIMED_OUT)["Records"][0]["body"])["detail"]["name"]


@pytest.fixture
def reconciler(aws, monkeypatch):
    import importlib

    sample = json.loads(load_event(TIMED_OUT)["Records"][0]["body"])
    monkeypatch.setenv("CHECKOUT_STATE_MACHINE_ARN", sample["detail"]["stateMachineArn"])
    monkeypatch.setenv("REFUND_PAYMENT_FUNCTION_ARN", "arn:aws:lambda:us-east-1:1:function:refund")
    monkeypatch.setenv("RELEASE_STOCK_FUNCTION_ARN", "arn:aws:lambda:us-east-1:1:function:release")
    monkeypatch.setenv("EVENT_BUS_NAME", "ecommerce-test")
    monkeypatch.setenv("EVENT_SOURCE", "ecommerce.checkout")
    from orders_service.handlers import reconcile_orders as module

    module = importlib.reload(module)
    module.collaborators.update(
        workflow=FakeWorkflow(), compensations=FakeCompensations(), outcomes=FakeOutcomes()
    )
    return module


@pytest.fixture
def orders(aws):
    import boto3

    return OrdersRepository(boto3.client("dynamodb"), aws["table"].name)


def place(orders, order_id, created_at):
    orders.create(domain.new_order(order_id, "c1", "c1@example.com", QUOTE, created_at, 900))


def test_a_timed_out_execution_fails_its_pending_order(reconciler, orders, context):
    place(orders, ORDER_ID, domain.now())
    reconciler.collaborators["workflow"].statuses[ORDER_ID] = "TIMED_OUT"

    answer = reconciler.handler(load_event(TIMED_OUT), context)

    assert answer == {"batchItemFailures": []}
    assert orders.find(ORDER_ID)["reason"] == "CheckoutTimedOut"
    assert reconciler.collaborators["outcomes"].failed == [(ORDER_ID, "CheckoutTimedOut")]


def test_a_record_that_cannot_be_reconciled_now_is_redelivered(reconciler, orders, context):
    place(orders, ORDER_ID, domain.now())
    reconciler.collaborators["compensations"].failing = {ORDER_ID}
    event = load_event(TIMED_OUT)
    healthy = copy.deepcopy(event["Records"][0])
    healthy["messageId"] = "a-second-message"
    body = json.loads(healthy["body"])
    body["detail"]["name"] = "o-healthy"
    healthy["body"] = json.dumps(body)
    place(orders, "o-healthy", domain.now())
    event["Records"].append(healthy)

    answer = reconciler.handler(event, context)

    # Only the failed record comes back (SQS delivers it again); the order stays PENDING and due.
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert orders.find(ORDER_ID)["status"] == "PENDING"
    assert orders.find("o-healthy")["status"] == "FAILED"


def test_a_batch_that_fails_entirely_fails_the_invocation(reconciler, orders, context):
    """So the function's Errors metric shows an outage of the compensation functions."""
    place(orders, ORDER_ID, domain.now())
    reconciler.collaborators["compensations"].failing = {"RefundPayment"}

    with pytest.raises(BatchProcessingError):
        reconciler.handler(load_event(TIMED_OUT), context)


def test_another_state_machines_execution_is_ignored(reconciler, orders, context):
    place(orders, ORDER_ID, domain.now())
    event = load_event(TIMED_OUT)
    body = json.loads(event["Records"][0]["body"])
    other = copy.deepcopy(body)
    other["detail"]["stateMachineArn"] = body["detail"]["stateMachineArn"] + "-other"
    event["Records"][0]["body"] = json.dumps(other)

    assert reconciler.handler(event, context) == {"batchItemFailures": []}
    assert reconciler.collaborators["compensations"].calls == []
    assert orders.find(ORDER_ID)["status"] == "PENDING"


def test_a_record_that_is_not_a_status_change_is_refused(reconciler, context):
    event = load_event(TIMED_OUT)
    event["Records"][0]["body"] = json.dumps({"detail": {"name": "x"}})

    with pytest.raises(BatchProcessingError):
        reconciler.handler(event, context)


def test_the_scheduled_sweep_reconciles_what_is_due(reconciler, orders, context):
    place(orders, "o-overdue", PAST)
    place(orders, "o-young", domain.now())

    answer = reconciler.handler(load_event(SWEEP), context)

    assert answer == {"reconciled": {"o-overdue": "RECONCILED"}, "errors": {}}
    assert orders.find("o-overdue")["reason"] == "CheckoutNotStarted"
    assert orders.find("o-young")["status"] == "PENDING"
