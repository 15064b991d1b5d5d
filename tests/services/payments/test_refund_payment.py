"""RefundPaymentFunction driven by its events/ file: what the handler adds to the use case
(tests/services/payments/test_refunding.py): parsing the payload, errors out under their ASL
names, metrics flushed once per invocation."""

import json

import pytest
from pydantic import ValidationError

from payments_service.errors import PaymentProviderUnavailable


@pytest.fixture
def refund_event(load_event):
    return load_event("refund-payment.json")


@pytest.fixture
def charge_event(paying_event, refund_event):
    event = paying_event("charge-payment.json")
    assert event["orderId"] == refund_event["orderId"]  # the sample events describe one order
    return event


def emitted_metrics(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if '"_aws"' in line]


def test_refund_event_cancels_an_authorized_payment(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, snapshot
):
    charge_handler.handler(charge_event, lambda_context)

    assert refund_handler.handler(refund_event, lambda_context) == {"status": "CANCELLED"}
    assert snapshot()[f"PAYMENT#{refund_event['orderId']}"]["status"] == "CANCELLED"


def test_refund_event_refunds_a_captured_payment(
    charge_handler,
    capture_handler,
    refund_handler,
    lambda_context,
    charge_event,
    refund_event,
    snapshot,
):
    charge_handler.handler(charge_event, lambda_context)
    capture_handler.handler(refund_event, lambda_context)  # the same {orderId}

    assert refund_handler.handler(refund_event, lambda_context) == {"status": "REFUNDED"}
    assert snapshot()[f"PAYMENT#{refund_event['orderId']}"]["status"] == "REFUNDED"


def test_refund_metrics(
    charge_handler,
    capture_handler,
    refund_handler,
    lambda_context,
    charge_event,
    refund_event,
    capsys,
):
    charge_handler.handler(charge_event, lambda_context)
    capture_handler.handler(refund_event, lambda_context)
    capsys.readouterr()

    refund_handler.handler(refund_event, lambda_context)
    refund_handler.handler(refund_event, lambda_context)

    blobs = emitted_metrics(capsys.readouterr().out)
    assert [blob["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for blob in blobs] == [
        "RefundsIssued"
    ]


def test_refund_outage_metric_and_error(
    charge_handler,
    capture_handler,
    refund_handler,
    lambda_context,
    paying_event,
    refund_event,
    capsys,
):
    charge_handler.handler(paying_event(paymentToken="tok_refundOutage"), lambda_context)
    capture_handler.handler(refund_event, lambda_context)
    capsys.readouterr()

    with pytest.raises(PaymentProviderUnavailable) as outage:
        refund_handler.handler(refund_event, lambda_context)

    assert type(outage.value).__name__ == "PaymentProviderUnavailable"
    [blob] = emitted_metrics(capsys.readouterr().out)
    assert blob["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == "ProviderUnavailable"
    assert blob["operation"] == "refund"


@pytest.mark.parametrize("event", [{}, {"orderId": ""}, {"orderId": None}])
def test_invalid_refund_payload_raises_validation_error_and_writes_nothing(
    refund_handler, lambda_context, snapshot, event
):
    with pytest.raises(ValidationError):
        refund_handler.handler(event, lambda_context)
    assert snapshot() == {}


@pytest.mark.parametrize("order_id", [" o-1 ", "o\u00001", "ö-1", "o" * 129])
def test_an_order_id_that_is_not_an_identifier_is_refused_not_trimmed(
    refund_handler, lambda_context, snapshot, order_id
):
    with pytest.raises(ValidationError, match="orderId"):
        refund_handler.handler({"orderId": order_id}, lambda_context)
    assert snapshot() == {}
