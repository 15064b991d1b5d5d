"""Every file in events/ invokes its function through `make invoke`'s code path (the local
Lambda service, sample catalog seeded), so the samples `sam local invoke -e` uses stay true.

The samples tell one order's story: orders-api-create-order.json places the order that the
inventory, payments and orders task samples then replay (idempotently) and finally compensate.
"""

import json
from pathlib import Path

import pytest

from localrun.stack import REPO_ROOT

EVENTS = REPO_ROOT / "events"
ORDER_ID = "f38d6a7e-f6f5-503f-bf8c-badf67eec4d5"  # what create-order's customer + key name
# What the payments service answers for that order's payment, and for the declined sample's.
PAYMENT_REFERENCE = "payref_fbb8f833abcd5c6fb7ee9d77898858bd"
DECLINED_REFERENCE = "payref_816144ca6e17582e91002861d805eac7"

# Replayed after the order completed, in this order; the value is what the function answers.
REPLAYS = [
    ("inventory/catalog-api-list-products.json", {"statusCode": 200}),
    ("inventory/catalog-api-get-product.json", {"statusCode": 200}),
    ("inventory/quote-prices.json", {"amountCents": 2 * 1299 + 1450}),
    ("inventory/reserve-stock.json", {"status": "COMMITTED"}),
    ("inventory/commit-stock.json", {"status": "COMMITTED"}),
    # Placing the order registered its token: registering again answers the same reference.
    ("payments/register-payment.json", {"paymentReference": PAYMENT_REFERENCE}),
    ("payments/charge-payment.json", {"status": "AUTHORIZED"}),
    ("payments/capture-payment.json", {"status": "CAPTURED"}),
    ("payments/register-payment-declined.json", {"paymentReference": DECLINED_REFERENCE}),
    ("payments/charge-payment-declined.json", {"errorType": "PaymentDeclined"}),
    ("orders/orders-api-get-order.json", {"statusCode": 200}),
    ("orders/orders-api-list-orders.json", {"statusCode": 200}),
    ("orders/update-order-status-confirmed.json", {"status": "CONFIRMED"}),
    ("notifications/send-notification.json", {"batchItemFailures": []}),
    ("notifications/send-notification-duplicate.json", {"batchItemFailures": []}),
    ("notifications/send-notification-invalid.json", {}),
    # The compensations, in the saga's order: a confirmed order whose sale is undone ends FAILED.
    ("payments/refund-payment.json", {"status": "REFUNDED"}),
    ("inventory/release-stock.json", {"status": "RELEASED"}),
    ("orders/update-order-status-failed.json", {"status": "FAILED"}),
    ("orders/update-order-status-reconcile.json", {"status": "FAILED"}),
    ("orders/reconcile-orders-sweep.json", {"errors": {}}),
    ("orders/reconcile-orders-execution-timed-out.json", {"batchItemFailures": []}),
]


def function_for(event_file: Path, app) -> str:
    """events/<service>/<kebab logical id without Function>[-variant].json -> logical id."""
    candidates = []
    for function in app.model.functions:
        stem = "".join(
            "-" + c.lower() if c.isupper() and i else c.lower()
            for i, c in enumerate(function.logical_id.removesuffix("Function"))
        )
        if event_file.stem == stem or event_file.stem.startswith(stem + "-"):
            candidates.append((len(stem), function.logical_id))
    assert candidates, f"no function for {event_file}"
    return max(candidates)[1]


@pytest.fixture(scope="module")
def placed_order(app, shop):
    event = (EVENTS / "orders/orders-api-create-order.json").read_text()
    response = app.lambdas.invoke("OrdersApiFunction", event).json()
    assert response["statusCode"] == 202, response
    assert json.loads(response["body"])["orderId"] == ORDER_ID
    assert app.wait_for_execution(ORDER_ID)["status"] == "SUCCEEDED"
    return ORDER_ID


def test_every_sample_event_is_covered():
    listed = {name for name, _ in REPLAYS} | {"orders/orders-api-create-order.json"}
    # events/env-vars.*.json, beside the services' folders, are sam local's variables, not events.
    on_disk = {str(p.relative_to(EVENTS)) for p in EVENTS.glob("*/**/*.json")}
    assert on_disk == listed


@pytest.mark.parametrize(("name", "expected"), REPLAYS, ids=[n for n, _ in REPLAYS])
def test_sample_event_invokes_its_function(app, placed_order, name, expected):
    path = EVENTS / name
    result = app.lambdas.invoke(function_for(path, app), path.read_text())

    answer = result.json()
    if "errorType" in expected:
        assert result.function_error == "Unhandled"
        assert answer["errorType"] == expected["errorType"]
    else:
        assert result.function_error is None, answer
        assert {k: answer[k] for k in expected} == expected
