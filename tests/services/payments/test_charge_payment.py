"""ChargePaymentFunction driven by its events/ files, against moto and the sandbox provider:
what the handler adds to the use case (tests/services/payments/test_charging.py): parsing the
payload, errors out under their ASL names, the order as the logs' correlation id, metrics
flushed once per invocation."""

import io
import json

import pytest
from pydantic import ValidationError

from payments_service.errors import InsufficientFunds, PaymentDeclined, UnknownPaymentReference


@pytest.fixture
def charge_event(paying_event):
    """The sample charge with `changes`, its order's token (`paymentToken`) registered first."""

    def build(**changes) -> dict:
        return paying_event("charge-payment.json", **changes)

    return build


def emitted_metrics(output: str) -> list[dict]:
    """The EMF blobs Powertools printed, one per invocation."""
    blobs = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blobs.append(json.loads(line))
    return blobs


def metric_names(blob: dict) -> set[str]:
    return {m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


def test_charge_event_authorizes_the_payment(
    charge_handler, lambda_context, snapshot, charge_event
):
    event = charge_event()

    result = charge_handler.handler(event, lambda_context)

    assert result["status"] == "AUTHORIZED"
    assert result["paymentId"].startswith("pay_")
    payment = snapshot()[f"PAYMENT#{event['orderId']}"]
    assert (payment["status"], payment["paymentId"]) == ("AUTHORIZED", result["paymentId"])


def test_declined_event_raises_payment_declined_under_its_asl_name(
    charge_handler, lambda_context, snapshot, paying_event
):
    event = paying_event("charge-payment-declined.json")

    with pytest.raises(PaymentDeclined) as declined:
        charge_handler.handler(event, lambda_context)

    assert type(declined.value).__name__ == "PaymentDeclined"
    assert declined.value.decline_code == "generic_decline"
    assert snapshot()[f"PAYMENT#{event['orderId']}"]["status"] == "DECLINED"


@pytest.mark.parametrize(
    "change",
    [
        {"amountCents": 0},
        {"amountCents": -100},
        {"amountCents": 25.98},
        {"currency": "usd"},
        {"currency": "EURO"},
        {"amountCents": "2598"},
        {"amountCents": True},
        {"paymentReference": ""},
        {"paymentReference": None},
        {"orderId": ""},
        {"orderId": " a6198bf4 "},
        {"orderId": "a6198bf4\u0000"},
    ],
)
def test_invalid_payload_raises_validation_error_and_writes_nothing(
    charge_handler, lambda_context, snapshot, change, load_event
):
    event = {k: v for k, v in (load_event("charge-payment.json") | change).items() if v is not None}
    with pytest.raises(ValidationError):
        charge_handler.handler(event, lambda_context)
    assert snapshot() == {}


@pytest.mark.parametrize("registered", [False, True], ids=["nothing registered", "another"])
def test_a_reference_not_registered_for_the_order_charges_nothing_and_writes_nothing(
    charge_handler, lambda_context, snapshot, load_event, register, registered
):
    event = load_event("charge-payment.json")
    if registered:  # the order has a registration, under another reference than the payload's
        register(event["orderId"], "tok_visa")
        event["paymentReference"] = "payref_" + "0" * 32
    before = snapshot()

    with pytest.raises(UnknownPaymentReference):
        charge_handler.handler(event, lambda_context)

    assert snapshot() == before


@pytest.fixture
def log_stream(charge_handler):
    """The JSON log lines the handler writes (Powertools binds its stream at first use)."""
    stream = io.StringIO()
    previous = charge_handler.logger.registered_handler.setStream(stream)
    yield stream
    charge_handler.logger.registered_handler.setStream(previous)


def test_metrics_and_logs_count_once_and_never_carry_the_token(
    charge_handler, lambda_context, capsys, log_stream, charge_event, paying_event
):
    charge_handler.handler(charge_event(paymentToken="tok_mastercard"), lambda_context)
    charge_handler.handler(charge_event(paymentToken="tok_mastercard"), lambda_context)
    with pytest.raises(InsufficientFunds):
        charge_handler.handler(
            paying_event(
                "charge-payment-declined.json", paymentToken="tok_chargeDeclinedInsufficientFunds"
            ),
            lambda_context,
        )

    output = capsys.readouterr().out
    blobs = emitted_metrics(output)
    # The replay adds no metric (a replay is not a second payment), so it prints no blob.
    assert [metric_names(blob) for blob in blobs] == [{"PaymentsAuthorized"}, {"PaymentsDeclined"}]
    declined = blobs[1]
    assert declined["declineCode"] == "insufficient_funds"
    assert all(
        "declineCode" not in dims
        for d in declined["_aws"]["CloudWatchMetrics"]
        for dims in d["Dimensions"]
    )
    assert declined["service"] == "payments"
    assert "tok_mastercard" not in output and "tok_chargeDeclined" not in output
    log_text = log_stream.getvalue()
    assert "tok_mastercard" not in log_text and "tok_chargeDeclined" not in log_text
    logs = [json.loads(line) for line in log_text.splitlines()]
    charging = [log for log in logs if log["message"] == "Authorizing"]
    assert charging and not any("token" in key.lower() for key in charging[0])
    assert charging[0]["correlation_id"] == charge_event()["orderId"]
