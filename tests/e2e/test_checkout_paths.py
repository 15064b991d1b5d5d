"""Every path of statemachine/checkout.asl.json, end to end through the HTTP API.

Each test places a real order, lets the real state machine run the real handlers, and checks
what a customer and an operator would see: the order's status, the states entered (retries,
compensations in reverse order), stock, the payment record and its PaymentIntent, emails,
events and alerts. Payments go through the Stripe adapter and the real SDK to the local run's
fake Stripe, whose outages (503) are injected with `app.fake_stripe.fail(...)`.
"""

import json
import re

import pytest

from localrun.invariants import check, read_snapshot
from localrun.lambdas import (
    DuplicateDeliveryFault,
    FunctionErrorFault,
    ServiceErrorFault,
    TimeoutFault,
)
from localrun.seams import ApiErrorFault, FailedEntriesFault
from localrun.shop import SAMPLE_CATALOG
from tests.e2e.conftest import eventually

SHIRT, MUG, POSTER = "SKU-TSHIRT-BLK-M", "SKU-MUG-WHT-12OZ", "SKU-POSTER-LTD-A2"
SEEDED = {p["sku"]: p["stock"] for p in json.loads(SAMPLE_CATALOG.read_text())["products"]}
SWEEP_EVENT = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
# Stripe's test payment methods the fake Stripe knows: one authorizes, one is declined.
PAYS, DECLINED = "pm_card_visa", "pm_card_chargeCustomerFail"
# The fake Stripe's paths for each call the adapter makes.
AUTHORIZE = r"^/v1/payment_intents$"
CAPTURE = r"^/v1/payment_intents/[^/]+/capture$"
CANCEL = r"^/v1/payment_intents/[^/]+/cancel$"
REFUND = r"^/v1/refunds$"
HAPPY_PATH = [
    "PublishOrderPlaced",
    "ReserveStock",
    "ChargePayment",
    "CommitStock",
    "CapturePayment",
    "ConfirmOrder",
    "PublishOrderConfirmed",
    "CheckoutSucceeded",
]
FAILED_AFTER_PAYMENT = [
    "RefundPayment",
    "ReleaseStock",
    "MarkOrderFailed",
    "PublishOrderFailed",
    "CompensationsComplete",
    "CheckoutFailed",
]


def checkout(app, shop, token=PAYS, items=None, email="ada@example.com"):
    """Place an order and wait for its execution to end; returns (order, execution, route)."""
    placed = shop.place_order(items or [{"sku": SHIRT, "quantity": 1}], token, email=email)
    assert placed.status == 202, placed.body
    order_id = placed.body["orderId"]
    execution = app.wait_for_execution(order_id)
    return shop.order(order_id), execution, shop.route(order_id)


def names(route):
    return [step.name for step in route]


def the_alert_for(shop, order):
    [alert] = [a for a in shop.alerts() if a["orderId"] == order["orderId"]]
    return alert


def step(route, name):
    [found] = [s for s in route if s.name == name]
    return found


def intent(app, shop, order) -> dict:
    """The order's PaymentIntent as the fake Stripe holds it."""
    return app.fake_stripe.payment_intent(shop.payment(order["orderId"])["providerPaymentId"])


def stripe_calls(app, since: int) -> list[str]:
    """The kinds of request the fake Stripe got after the first `since` (tests run one order at a
    time, so these are the order's)."""
    kinds = {AUTHORIZE: "authorize", CAPTURE: "capture", CANCEL: "cancel", REFUND: "refund"}
    return [
        next((kind for path, kind in kinds.items() if re.search(path, request)), request)
        for method, request in app.fake_stripe.requests[since:]
        if method == "POST"
    ]


def test_happy_path_confirms_pays_commits_emails_and_publishes(app, shop):
    before = shop.available(SHIRT), shop.available(MUG)
    items = [{"sku": SHIRT, "quantity": 2}, {"sku": MUG, "quantity": 1}]

    order, execution, route = checkout(app, shop, items=items, email="happy@example.com")

    assert execution["status"] == "SUCCEEDED"
    assert names(route) == HAPPY_PATH
    assert all(s.retries == 0 for s in route)
    assert order["status"] == "CONFIRMED"
    assert order["amountCents"] == 2 * 1299 + 1450
    assert (shop.available(SHIRT), shop.available(MUG)) == (before[0] - 2, before[1] - 1)
    payment = shop.payment(order["orderId"])
    assert payment["status"] == "CAPTURED" and payment["amountCents"] == order["amountCents"]
    assert "paymentToken" not in payment
    # Authorized (held) by ChargePayment, then captured by CapturePayment, at Stripe.
    assert intent(app, shop, order) == {
        "id": payment["providerPaymentId"],
        "status": "succeeded",
        "amount": order["amountCents"],
        "currency": "usd",
        "captured": True,
        "refunded": False,
    }
    [email] = eventually(lambda: shop.emails_to("happy@example.com"))
    assert order["orderId"] in email["subject"] + email["body"]
    published = eventually(
        lambda: len(shop.events_for(order["orderId"])) == 2 and shop.events_for(order["orderId"])
    )
    assert [e["detail-type"] for e in published] == ["OrderPlaced", "OrderConfirmed"]


def test_out_of_stock_fails_before_payment_and_holds_nothing(app, shop):
    before = shop.available(POSTER)
    items = [{"sku": POSTER, "quantity": before + 1}]

    order, execution, route = checkout(app, shop, items=items, email="nostock@example.com")

    assert execution["status"] == "FAILED" and execution["error"] == "CheckoutFailed"
    assert names(route) == [
        "PublishOrderPlaced",
        "ReserveStock",
        "ReleaseStock",
        "MarkOrderFailed",
        "PublishOrderFailed",
        "CompensationsComplete",
        "CheckoutFailed",
    ]
    assert step(route, "ReserveStock").errors == ["OutOfStock"]  # a business error: no retry
    assert order["status"] == "FAILED" and order["reason"] == "OutOfStock"
    assert shop.available(POSTER) == before
    assert shop.payment(order["orderId"]) is None
    [email] = eventually(lambda: shop.emails_to("nostock@example.com"))
    assert "out of stock" in email["body"]


def test_a_declined_card_releases_the_stock_and_takes_no_money(app, shop):
    """(InsufficientFunds, the other decline, is Stripe's decline_code, which the fake Stripe
    never sends: tests/services/payments/test_stripe_provider.py maps it.)"""
    before = shop.available(SHIRT)
    reason = "PaymentDeclined"
    calls_before = len(app.fake_stripe.requests)

    order, execution, route = checkout(app, shop, token=DECLINED)

    assert execution["status"] == "FAILED"
    assert names(route) == [
        "PublishOrderPlaced",
        "ReserveStock",
        "ChargePayment",
        *FAILED_AFTER_PAYMENT,
    ]
    assert step(route, "ChargePayment").errors == [reason]  # a business error: never retried
    assert order["status"] == "FAILED" and order["reason"] == reason
    assert shop.available(SHIRT) == before
    assert shop.payment(order["orderId"])["status"] == "DECLINED"
    assert stripe_calls(app, calls_before) == ["authorize"]  # nothing to cancel or refund
    assert [
        e["detail-type"]
        for e in eventually(
            lambda: (
                len(shop.events_for(order["orderId"])) == 2 and shop.events_for(order["orderId"])
            )
        )
    ] == ["OrderPlaced", "OrderFailed"]


def test_a_provider_outage_recovers_through_retries_with_backoff(app, shop):
    sleeps_before = len(app.sleeps)
    app.fake_stripe.fail(2, 503, path=AUTHORIZE)

    order, execution, route = checkout(app, shop)

    assert execution["status"] == "SUCCEEDED"
    assert names(route) == HAPPY_PATH
    assert step(route, "ChargePayment").attempts == 3
    assert step(route, "ChargePayment").errors == ["PaymentProviderUnavailable"] * 2
    assert len(app.sleeps) - sleeps_before == 2
    assert order["status"] == "CONFIRMED"
    assert shop.payment(order["orderId"])["status"] == "CAPTURED"
    assert intent(app, shop, order)["status"] == "succeeded"


def test_stripe_rate_limiting_is_retried_too(app, shop):
    app.fake_stripe.fail(1, 429, path=AUTHORIZE)

    order, execution, route = checkout(app, shop)

    assert step(route, "ChargePayment").errors == ["PaymentProviderUnavailable"]
    assert execution["status"] == "SUCCEEDED" and order["status"] == "CONFIRMED"


def test_a_provider_outage_that_outlasts_the_retries_is_compensated(app, shop):
    before = shop.available(SHIRT)
    app.fake_stripe.fail(4, 503, path=AUTHORIZE)

    order, execution, route = checkout(app, shop)

    assert execution["error"] == "CheckoutFailed"
    assert names(route) == [
        "PublishOrderPlaced",
        "ReserveStock",
        "ChargePayment",
        *FAILED_AFTER_PAYMENT,
    ]
    assert step(route, "ChargePayment").attempts == 4  # the first try and 3 retries
    assert order["status"] == "FAILED" and order["reason"] == "PaymentProviderUnavailable"
    assert shop.available(SHIRT) == before
    # Nothing authorized: the compensation leaves a tombstone so a late authorization cannot stand.
    payment = shop.payment(order["orderId"])
    assert payment["status"] == "CANCELLED" and "providerPaymentId" not in payment


@pytest.mark.parametrize(
    "fault",
    [
        ServiceErrorFault("ServiceException"),
        ServiceErrorFault("TooManyRequestsException", 429),
        TimeoutFault(),
        FunctionErrorFault("ProvisionedThroughputExceededException"),
    ],
    ids=["lambda-service-error", "lambda-throttled", "timeout", "dynamodb-throttled"],
)
def test_transient_lambda_failures_are_retried(app, shop, fault):
    app.lambdas.inject("ReserveStockFunction", fault, times=2)

    order, execution, route = checkout(app, shop)

    assert execution["status"] == "SUCCEEDED"
    assert step(route, "ReserveStock").attempts == 3
    assert order["status"] == "CONFIRMED"


@pytest.mark.parametrize(
    ("failing", "failed_step", "payment", "at_stripe", "calls"),
    [
        # Before the capture: the authorization is cancelled, no money moved, nothing refunded.
        (
            "CommitStockFunction",
            "CommitStock",
            "CANCELLED",
            ("canceled", False, False),
            ["authorize", "cancel"],
        ),
        # After the capture: the money is refunded.
        (
            "UpdateOrderStatusFunction",
            "ConfirmOrder",
            "REFUNDED",
            ("succeeded", True, True),
            ["authorize", "capture", "refund"],
        ),
    ],
    ids=["before-capture-cancels", "after-capture-refunds"],
)
def test_a_failure_after_authorization_gives_the_money_back_then_releases(
    app, shop, failing, failed_step, payment, at_stripe, calls
):
    before = shop.available(SHIRT)
    calls_before = len(app.fake_stripe.requests)
    app.lambdas.inject(failing, FunctionErrorFault("RuntimeError", "boom"))

    order, execution, route = checkout(app, shop)

    assert execution["error"] == "CheckoutFailed"
    assert names(route)[-6:] == FAILED_AFTER_PAYMENT
    assert names(route)[names(route).index(failed_step) + 1] == "RefundPayment"
    assert step(route, failed_step).errors == ["RuntimeError"]
    assert step(route, "RefundPayment").errors == []
    assert order["status"] == "FAILED" and order["reason"] == "RuntimeError"
    assert shop.payment(order["orderId"])["status"] == payment
    held = intent(app, shop, order)
    assert (held["status"], held["captured"], held["refunded"]) == at_stripe
    assert stripe_calls(app, calls_before) == calls
    assert shop.available(SHIRT) == before
    assert shop.alerts() == [] or all(a["orderId"] != order["orderId"] for a in shop.alerts())


def test_a_capture_outage_is_retried(app, shop):
    app.fake_stripe.fail(2, 503, path=CAPTURE)

    order, execution, route = checkout(app, shop)

    assert execution["status"] == "SUCCEEDED" and names(route) == HAPPY_PATH
    assert step(route, "CapturePayment").errors == ["PaymentProviderUnavailable"] * 2
    assert order["status"] == "CONFIRMED"
    assert intent(app, shop, order)["status"] == "succeeded"


def test_a_capture_that_outlasts_its_retries_alerts_and_cancels_the_authorization(app, shop):
    before = shop.available(SHIRT)
    app.fake_stripe.fail(4, 503, path=CAPTURE)

    order, execution, route = checkout(app, shop)

    assert execution["error"] == "CheckoutFailed"
    assert names(route) == [
        "PublishOrderPlaced",
        "ReserveStock",
        "ChargePayment",
        "CommitStock",
        "CapturePayment",
        "AlertCaptureFailed",
        *FAILED_AFTER_PAYMENT,
    ]
    assert step(route, "CapturePayment").attempts == 4  # the first try and 3 retries
    assert order["status"] == "FAILED" and order["reason"] == "PaymentProviderUnavailable"
    assert shop.payment(order["orderId"])["status"] == "CANCELLED"
    assert intent(app, shop, order)["status"] == "canceled"
    assert shop.available(SHIRT) == before  # the committed stock is back on sale
    alert = the_alert_for(shop, order)
    assert (alert["alert"], alert["failedStep"], alert["error"]) == (
        "PaymentNotCaptured",
        "CapturePayment",
        "PaymentProviderUnavailable",
    )


@pytest.mark.parametrize(
    ("function", "failing", "calls"),
    [
        ("ChargePaymentFunction", None, ["authorize", "capture"]),
        ("CapturePaymentFunction", None, ["authorize", "capture"]),
        ("RefundPaymentFunction", "CommitStockFunction", ["authorize", "cancel"]),
        ("RefundPaymentFunction", "UpdateOrderStatusFunction", ["authorize", "capture", "refund"]),
    ],
    ids=["charge", "capture", "cancel", "refund"],
)
def test_a_duplicated_payment_task_moves_money_once(app, shop, function, failing, calls):
    """The fake Stripe ignores idempotency keys: each call here reached it once because the
    payment record answered the duplicate (the keys are checked in tests/services/payments)."""
    calls_before = len(app.fake_stripe.requests)
    app.lambdas.inject(function, DuplicateDeliveryFault())
    if failing:
        app.lambdas.inject(failing, FunctionErrorFault("RuntimeError", "boom"))

    order, execution, route = checkout(app, shop)

    assert stripe_calls(app, calls_before) == calls
    assert execution["status"] == ("FAILED" if failing else "SUCCEEDED")
    assert order["status"] == ("FAILED" if failing else "CONFIRMED")
    assert names(route)[-1] == ("CheckoutFailed" if failing else "CheckoutSucceeded")


def test_a_refund_that_keeps_failing_still_releases_stock_flags_the_order_and_alerts(app, shop):
    before = shop.available(SHIRT)
    app.lambdas.inject("UpdateOrderStatusFunction", FunctionErrorFault("RuntimeError", "boom"))
    app.fake_stripe.fail(5, 503, path=REFUND)  # every attempt of RefundPayment

    order, execution, route = checkout(app, shop, email="stuck-refund@example.com")

    assert execution["status"] == "FAILED" and execution["error"] == "CompensationFailed"
    assert names(route)[-8:] == [
        "RefundPayment",
        "ReleaseStock",
        "MarkOrderFailed",
        "PublishOrderFailed",
        "CompensationsComplete",
        "FlagOrderForReconciliation",
        "AlertCompensationFailed",
        "CompensationFailed",
    ]
    assert step(route, "RefundPayment").attempts == 5
    assert shop.available(SHIRT) == before  # the stuck refund did not keep stock held
    assert order["status"] == "FAILED"
    # Money still taken: the reconciler owns the order now, and a person is told.
    assert shop.payment(order["orderId"])["status"] == "CAPTURED"
    assert intent(app, shop, order)["refunded"] is False
    assert "reconcileAt" in shop.order_record(order["orderId"])
    alert = the_alert_for(shop, order)
    assert alert["alert"] == "CompensationFailed"
    assert alert["failedSteps"]["RefundPayment"]["Error"] == "PaymentProviderUnavailable"


def test_a_crash_in_a_compensation_is_retried(app, shop):
    before = shop.available(SHIRT)
    app.lambdas.inject("ReleaseStockFunction", FunctionErrorFault("Runtime.ExitError"), times=2)

    order, execution, route = checkout(app, shop, token=DECLINED)

    assert execution["error"] == "CheckoutFailed" and order["status"] == "FAILED"
    assert step(route, "ReleaseStock").attempts == 3
    assert shop.available(SHIRT) == before


def test_a_crash_in_a_forward_step_is_retried(app, shop):
    app.lambdas.inject("ReserveStockFunction", FunctionErrorFault("Runtime.ExitError"))

    order, execution, route = checkout(app, shop)

    assert execution["status"] == "SUCCEEDED" and order["status"] == "CONFIRMED"
    assert step(route, "ReserveStock").errors == ["Runtime.ExitError"]


def test_a_crash_while_marking_the_order_failed_is_retried(app, shop):
    app.lambdas.inject("UpdateOrderStatusFunction", FunctionErrorFault("Runtime.ExitError"))

    order, execution, route = checkout(app, shop, token=DECLINED)

    assert execution["error"] == "CheckoutFailed"
    assert order["status"] == "FAILED" and order["reason"] == "PaymentDeclined"
    assert step(route, "MarkOrderFailed").attempts == 2


def test_an_order_that_cannot_be_marked_failed_is_left_to_the_reconciler(app, shop):
    app.lambdas.inject("UpdateOrderStatusFunction", FunctionErrorFault("RuntimeError"), times=10)

    order, execution, route = checkout(app, shop, token=DECLINED)

    assert execution["error"] == "CompensationFailed"
    assert order["status"] == "PENDING"  # not written: the alert says so, the reconciler owns it
    assert names(route)[-3:] == ["MarkOrderFailed", "AlertCompensationFailed", "CompensationFailed"]
    assert step(route, "MarkOrderFailed").attempts == 5
    alert = the_alert_for(shop, order)
    assert alert["failedSteps"]["MarkOrderFailed"]["Error"] == "RuntimeError"


def test_the_same_request_twice_places_one_order_and_runs_one_checkout(app, shop):
    items = [{"sku": MUG, "quantity": 1}]
    first = shop.place_order(items, idempotency_key="e2e-same-key")
    second = shop.place_order(items, idempotency_key="e2e-same-key")

    assert first.status == second.status == 202
    assert first.body["orderId"] == second.body["orderId"]
    app.wait_for_execution(first.body["orderId"])
    executions = app.client("stepfunctions").list_executions(stateMachineArn=app.state_machine_arn)
    assert [e["name"] for e in executions["executions"]].count(first.body["orderId"]) == 1


def test_bad_input_over_http_is_a_4xx_and_starts_nothing(app, shop):
    executions_before = len(
        app.client("stepfunctions").list_executions(stateMachineArn=app.state_machine_arn)[
            "executions"
        ]
    )

    unknown = shop.place_order([{"sku": "SKU-NOPE", "quantity": 1}])
    empty = shop.place_order([])
    malformed = shop.request(
        "POST", "/orders", b'{"items": [', {"Idempotency-Key": "x"}, as_customer="ada@example.com"
    )

    assert unknown.status == 422 and "SKU-NOPE" in unknown.body["message"]
    assert empty.status == 422 and malformed.status == 422
    assert shop.request("GET", "/orders/no-such-order", as_customer="ada@example.com").status == 404
    assert shop.request("GET", "/nowhere").status in (403, 404)
    assert (
        len(
            app.client("stepfunctions").list_executions(stateMachineArn=app.state_machine_arn)[
                "executions"
            ]
        )
        == executions_before
    )


# --------------------------------------------------------------------------- event bus failures
# putEvents answers with its entries failed; Step Functions fails the task: EventBridge.FailedEntry
PUT_EVENTS = "events:putEvents"
PUBLISH_ATTEMPTS = 4  # the first try and 3 retries


def test_an_event_bus_hiccup_is_retried(app, shop):
    sleeps_before = len(app.sleeps)
    app.seams.inject(PUT_EVENTS, FailedEntriesFault(), times=1)

    order, execution, route = checkout(app, shop)

    assert execution["status"] == "SUCCEEDED"
    assert names(route) == HAPPY_PATH
    assert step(route, "PublishOrderPlaced").errors == ["EventBridge.FailedEntry"]
    assert step(route, "PublishOrderPlaced").attempts == 2
    assert len(app.sleeps) - sleeps_before == 1
    assert order["status"] == "CONFIRMED"


def test_an_order_whose_placement_cannot_be_published_fails_before_stock_or_money(app, shop):
    before = shop.available(SHIRT)
    app.seams.inject(PUT_EVENTS, FailedEntriesFault(), times=PUBLISH_ATTEMPTS)

    order, execution, route = checkout(app, shop, email="unpublished@example.com")

    assert execution["error"] == "CheckoutFailed"
    assert names(route) == [
        "PublishOrderPlaced",
        "MarkOrderFailed",
        "PublishOrderFailed",
        "CompensationsComplete",
        "CheckoutFailed",
    ]
    assert step(route, "PublishOrderPlaced").attempts == PUBLISH_ATTEMPTS
    assert order["status"] == "FAILED" and order["reason"] == "EventBridge.FailedEntry"
    assert shop.available(SHIRT) == before
    assert shop.payment(order["orderId"]) is None
    published = eventually(lambda: shop.events_for(order["orderId"]))
    assert [e["detail-type"] for e in published] == ["OrderFailed"]
    assert eventually(lambda: shop.emails_to("unpublished@example.com"))


def test_a_confirmed_order_whose_event_cannot_be_published_alerts_operators(app, shop):
    before = shop.available(SHIRT)
    app.seams.inject(PUT_EVENTS, FailedEntriesFault(), times=PUBLISH_ATTEMPTS, after=1)

    order, execution, route = checkout(app, shop)

    assert execution["status"] == "FAILED" and execution["error"] == "OutcomeNotPublished"
    assert names(route) == [
        *HAPPY_PATH[:-1],
        "AlertOutcomeNotPublished",
        "OutcomeNotPublished",
    ]
    assert step(route, "PublishOrderConfirmed").attempts == PUBLISH_ATTEMPTS
    # The sale stands: confirmed, paid and committed; only the event (and its email) is missing.
    assert order["status"] == "CONFIRMED"
    assert shop.payment(order["orderId"])["status"] == "CAPTURED"
    assert shop.available(SHIRT) == before - 1
    alert = the_alert_for(shop, order)
    assert alert["alert"] == "OutcomeEventNotPublished"
    assert (alert["failedStep"], alert["error"]) == (
        "PublishOrderConfirmed",
        "EventBridge.FailedEntry",
    )
    assert [e["detail-type"] for e in shop.events_for(order["orderId"])] == ["OrderPlaced"]


def test_a_failure_whose_event_cannot_be_published_alerts_operators(app, shop):
    before = shop.available(SHIRT)
    app.seams.inject(PUT_EVENTS, FailedEntriesFault(), times=PUBLISH_ATTEMPTS, after=1)

    order, execution, route = checkout(app, shop, token=DECLINED)

    assert execution["error"] == "CompensationFailed"
    assert names(route)[-4:] == [
        "MarkOrderFailed",
        "PublishOrderFailed",
        "AlertCompensationFailed",
        "CompensationFailed",
    ]
    assert order["status"] == "FAILED" and order["reason"] == "PaymentDeclined"
    assert shop.available(SHIRT) == before
    alert = the_alert_for(shop, order)
    assert alert["failedSteps"]["PublishOrderFailed"]["Error"] == "EventBridge.FailedEntry"


# --------------------------------------------------------------------------- compensations failing


RELEASE_ATTEMPTS = 5  # a compensation's first try and its 4 retries


def test_a_release_that_keeps_failing_alerts_operators_and_says_the_stock_is_still_held(app, shop):
    before = shop.available(SHIRT)
    app.lambdas.inject(
        "ReleaseStockFunction", FunctionErrorFault("RuntimeError", "boom"), times=RELEASE_ATTEMPTS
    )

    order, execution, route = checkout(app, shop, token=DECLINED)

    assert execution["error"] == "CompensationFailed"
    assert names(route)[-8:] == [
        "RefundPayment",
        "ReleaseStock",
        "MarkOrderFailed",
        "PublishOrderFailed",
        "CompensationsComplete",
        "FlagOrderForReconciliation",
        "AlertCompensationFailed",
        "CompensationFailed",
    ]
    # A compensation retries any error but a caller bug: a crash may be gone the next time.
    assert step(route, "ReleaseStock").errors == ["RuntimeError"] * RELEASE_ATTEMPTS
    assert order["status"] == "FAILED" and order["reason"] == "PaymentDeclined"
    assert shop.available(SHIRT) == before - 1  # held until the reconciler releases it
    alert = the_alert_for(shop, order)
    assert alert["failedSteps"]["ReleaseStock"]["Error"] == "RuntimeError"


def test_a_lambda_task_that_keeps_timing_out_exhausts_its_retries_then_compensates(app, shop):
    before = shop.available(SHIRT)
    sleeps_before = len(app.sleeps)
    app.lambdas.inject("ReserveStockFunction", TimeoutFault(), times=4)

    order, execution, route = checkout(app, shop)

    assert execution["error"] == "CheckoutFailed"
    assert names(route) == [
        "PublishOrderPlaced",
        "ReserveStock",
        "ReleaseStock",
        "MarkOrderFailed",
        "PublishOrderFailed",
        "CompensationsComplete",
        "CheckoutFailed",
    ]
    assert step(route, "ReserveStock").errors == ["Sandbox.Timedout"] * 4  # 1 try + 3 retries
    retry_sleeps = app.sleeps[sleeps_before:]
    assert len(retry_sleeps) == 3
    assert all(0 <= s.seconds <= 8 for s in retry_sleeps)  # full jitter, capped by MaxDelaySeconds
    assert order["status"] == "FAILED" and order["reason"] == "Sandbox.Timedout"
    assert shop.available(SHIRT) == before
    assert shop.payment(order["orderId"]) is None


# --------------------------------------------------------------------------- the alerts queue


def test_an_alert_the_queue_refuses_once_is_retried(app, shop):
    app.lambdas.inject(
        "ReleaseStockFunction", FunctionErrorFault("RuntimeError", "boom"), times=RELEASE_ATTEMPTS
    )
    app.seams.inject("sqs:sendMessage", ApiErrorFault("InternalError"), times=1)

    order, execution, route = checkout(app, shop, token=DECLINED)

    assert execution["error"] == "CompensationFailed"
    assert step(route, "AlertCompensationFailed").attempts == 2
    assert [a["orderId"] for a in shop.alerts()].count(order["orderId"]) == 1


def test_an_alert_that_cannot_be_sent_fails_the_execution_with_the_queues_error(app, shop):
    app.lambdas.inject(
        "ReleaseStockFunction", FunctionErrorFault("RuntimeError", "boom"), times=RELEASE_ATTEMPTS
    )
    app.seams.inject("sqs:sendMessage", ApiErrorFault("InternalError"), times=PUBLISH_ATTEMPTS)

    order, execution, route = checkout(app, shop, token=DECLINED)

    # No Catch is left: the execution fails with the queue's error, not a Fail state's.
    assert execution["status"] == "FAILED"
    assert execution["error"] == "SQS.SdkClientException"
    assert names(route)[-1] == "AlertCompensationFailed"
    assert step(route, "AlertCompensationFailed").attempts == PUBLISH_ATTEMPTS
    assert all(a["orderId"] != order["orderId"] for a in shop.alerts())


def test_the_customer_reads_the_steps_their_checkout_went_through(app, shop):
    confirmed, _, confirmed_route = checkout(app, shop, email="steps@example.com")
    declined, _, _ = checkout(app, shop, token=DECLINED, email="steps@example.com")

    def steps(order, customer="steps@example.com"):
        return shop.request("GET", f"/orders/{order['orderId']}/steps", as_customer=customer)

    happy = steps(confirmed)
    assert happy.status == 200
    tasks = [s.name for s in confirmed_route if s.name not in ("CheckoutSucceeded",)]
    assert [s["step"] for s in happy.body["steps"]] == tasks
    assert {s["outcome"] for s in happy.body["steps"]} == {"succeeded"}
    failed = {s["step"]: s for s in steps(declined).body["steps"]}
    assert (failed["ChargePayment"]["outcome"], failed["ChargePayment"]["error"]) == (
        "failed",
        "PaymentDeclined",
    )
    assert failed["ReleaseStock"]["outcome"] == "succeeded"
    assert steps(confirmed, customer="someone-else@example.com").status == 404


def test_after_every_path_and_a_reconciler_sweep_every_invariant_holds(app, shop):
    """Runs last in this module: whatever the paths above left behind, once the reconciler has
    looked at what is due, the tables, executions and mail are consistent. The refund Stripe
    refused during its checkout (the stuck-refund order) is made by the reconciler, now that
    Stripe answers again."""
    for order_id, execution in read_snapshot(app).executions.items():
        assert execution != "RUNNING", f"{order_id} still running"
        if shop.order_record(order_id).get("status") == "PENDING":
            shop.make_due_for_reconciliation(order_id)
    snapshot = read_snapshot(app)
    kept = {o for o, p in snapshot.payments.items() if snapshot.orders[o]["status"] == "FAILED"}
    stuck = {o for o in kept if snapshot.payments[o]["status"] == "CAPTURED"}
    assert stuck, "the refund-outage path left no order with money to give back?"

    reconciled = app.lambdas.invoke("ReconcileOrdersFunction", SWEEP_EVENT).json()

    assert reconciled["errors"] == {}
    assert {shop.payment(o)["status"] for o in stuck} == {"REFUNDED"}

    def violations():
        return {(v.rule, v.subject) for v in check(read_snapshot(app, shop.events()), SEEDED)}

    assert eventually(lambda: violations() == set(), timeout=30), violations()
