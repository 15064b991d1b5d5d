"""Nothing stays stuck: orders whose checkout could not finish are driven to a terminal state by
ReconcileOrdersFunction, through the real functions, tables, queue and bus of the local run."""

import json

from localrun.lambdas import FunctionErrorFault
from localrun.schedules import scheduled_event
from tests.e2e.conftest import eventually
from tests.e2e.test_checkout_paths import DECLINED, SHIRT, checkout, intent, step


def sweep(app) -> dict:
    """What the function's schedule does every 5 minutes, now (tests run in virtual time)."""
    [schedule] = [s for s in app.schedules if s.function.logical_id == "ReconcileOrdersFunction"]
    assert schedule.schedule.expression == "rate(5 minutes)"
    result = app.lambdas.invoke(
        schedule.function.name, scheduled_event(schedule.function, schedule.schedule)
    )
    assert result.function_error is None, result.json()
    return result.json()


def test_an_order_its_checkout_could_not_fail_is_failed_released_and_announced(app, shop):
    before = shop.available(SHIRT)
    app.lambdas.inject("UpdateOrderStatusFunction", FunctionErrorFault("RuntimeError"), times=10)
    order, execution, _ = checkout(app, shop, token=DECLINED, email="stuck@example.com")
    app.lambdas.clear_faults()
    assert execution["error"] == "CompensationFailed" and order["status"] == "PENDING"

    assert order["orderId"] not in sweep(app)["reconciled"]  # within the worst case: not yet
    shop.make_due_for_reconciliation(order["orderId"])
    assert sweep(app)["reconciled"] == {order["orderId"]: "RECONCILED"}

    settled = shop.order(order["orderId"])
    assert settled["status"] == "FAILED" and settled["reason"] == "CheckoutInterrupted"
    assert shop.available(SHIRT) == before
    assert shop.payment(order["orderId"])["status"] == "DECLINED"
    assert "reconcileAt" not in shop.order_record(order["orderId"])
    [email] = eventually(lambda: shop.emails_to("stuck@example.com"))
    assert "could not complete" in email["subject"]


def test_a_refund_that_failed_is_run_again_until_the_money_is_back(app, shop):
    # ConfirmOrder fails after the capture: the money must be refunded.
    app.lambdas.inject("UpdateOrderStatusFunction", FunctionErrorFault("RuntimeError", "boom"))
    app.lambdas.inject("RefundPaymentFunction", FunctionErrorFault("Runtime.ExitError"), times=5)
    order, execution, route = checkout(app, shop, email="refund-later@example.com")
    assert execution["error"] == "CompensationFailed"
    assert step(route, "RefundPayment").attempts == 5
    assert shop.payment(order["orderId"])["status"] == "CAPTURED"

    # Flagged by the checkout itself: due now, no waiting for the worst case.
    assert sweep(app)["reconciled"] == {order["orderId"]: "RECONCILED"}

    assert shop.payment(order["orderId"])["status"] == "REFUNDED"
    assert intent(app, shop, order)["refunded"] is True
    settled = shop.order(order["orderId"])
    assert settled["status"] == "FAILED" and settled["reason"] == "RuntimeError"
    assert sweep(app)["reconciled"] == {}  # nothing left due
    # The checkout announced the failure already: the customer gets one email, not two.
    assert len(eventually(lambda: shop.emails_to("refund-later@example.com"))) == 1


def test_an_authorization_a_failed_cancel_left_held_is_cancelled_by_the_reconciler(app, shop):
    # CommitStock fails before the capture: the authorization must be cancelled, not refunded.
    app.lambdas.inject("CommitStockFunction", FunctionErrorFault("RuntimeError", "boom"))
    app.lambdas.inject("RefundPaymentFunction", FunctionErrorFault("Runtime.ExitError"), times=5)
    order, execution, _ = checkout(app, shop, email="cancel-later@example.com")
    assert execution["error"] == "CompensationFailed"
    assert shop.payment(order["orderId"])["status"] == "AUTHORIZED"

    assert sweep(app)["reconciled"] == {order["orderId"]: "RECONCILED"}

    assert shop.payment(order["orderId"])["status"] == "CANCELLED"
    held = intent(app, shop, order)
    assert (held["status"], held["captured"]) == ("canceled", False)


def test_a_status_change_event_on_the_reconcile_queue_reconciles_its_order(app, shop):
    app.lambdas.inject("UpdateOrderStatusFunction", FunctionErrorFault("RuntimeError"), times=10)
    order, execution, _ = checkout(app, shop, token=DECLINED)
    app.lambdas.clear_faults()
    assert order["status"] == "PENDING"

    # What EventBridge delivers for the execution that ended FAILED (the rule in the orders
    # template routes Step Functions' status changes to this queue).
    [queue] = [q for q in app.model.queues if q.logical_id == "ReconcileQueue"]
    change = {
        "version": "0",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": app.state_machine_arn,
            "name": order["orderId"],
            "status": execution["status"],
        },
    }
    app.client("sqs").send_message(QueueUrl=queue.url, MessageBody=json.dumps(change))

    settled = eventually(lambda: shop.order(order["orderId"])["status"] == "FAILED")
    assert settled, "the reconciler did not fail the order"
    assert "reconcileAt" not in shop.order_record(order["orderId"])
