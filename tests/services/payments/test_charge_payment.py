"""ChargePaymentFunction driven by its events/ files, against moto and the sandbox provider."""

import io
import json

import pytest
from pydantic import ValidationError

from payments_service.errors import (
    InsufficientFunds,
    PaymentCancelled,
    PaymentConflict,
    PaymentDeclined,
    PaymentProviderUnavailable,
)


@pytest.fixture
def charge_event(load_event):
    def build(**changes) -> dict:
        return load_event("charge-payment.json") | changes

    return build


def provider_charges(items: dict) -> list[dict]:
    """Charges the sandbox made (its ledger keeps declines and counted attempts there too)."""
    return [
        item
        for pk, item in items.items()
        if pk.startswith("SIMPROVIDER#CHARGE#") and item.get("state") == "SUCCEEDED"
    ]


def emitted_metrics(output: str) -> list[dict]:
    """The EMF blobs Powertools printed, one per invocation."""
    blobs = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blobs.append(json.loads(line))
    return blobs


def metric_names(blob: dict) -> set[str]:
    return {m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


def test_charge_captures_once_and_stores_no_token(
    charge_handler, lambda_context, snapshot, charge_event
):
    event = charge_event()

    result = charge_handler.handler(event, lambda_context)

    assert result["status"] == "CAPTURED"
    assert result["paymentId"].startswith("pay_")
    items = snapshot()
    payment = items[f"PAYMENT#{event['orderId']}"]
    [charge] = provider_charges(items)
    assert payment["status"] == "CAPTURED"
    assert payment["paymentId"] == result["paymentId"]
    assert (payment["amountCents"], payment["currency"]) == (event["amountCents"], "USD")
    assert payment["providerChargeId"] == charge["chargeId"]
    assert payment["attempts"] == 1
    assert "providerRefundId" not in payment and "declineCode" not in payment
    assert event["paymentToken"] not in repr(items)


def test_charging_the_same_order_twice_returns_the_first_result_and_charges_once(
    charge_handler, lambda_context, snapshot, charge_event
):
    first = charge_handler.handler(charge_event(), lambda_context)
    after_first = snapshot()

    again = charge_handler.handler(charge_event(), lambda_context)

    assert again == first
    assert snapshot() == after_first  # not even the provider was asked again
    assert len(provider_charges(after_first)) == 1


def test_second_charge_with_another_amount_is_a_conflict_and_charges_nothing(
    charge_handler, lambda_context, snapshot, charge_event
):
    charge_handler.handler(charge_event(), lambda_context)
    before = snapshot()

    with pytest.raises(PaymentConflict):
        charge_handler.handler(charge_event(amountCents=9999), lambda_context)
    with pytest.raises(PaymentConflict):
        charge_handler.handler(charge_event(currency="EUR"), lambda_context)

    assert snapshot() == before


def test_declined_event_raises_payment_declined_and_records_the_decline(
    charge_handler, lambda_context, snapshot, load_event
):
    event = load_event("charge-payment-declined.json")

    with pytest.raises(PaymentDeclined) as declined:
        charge_handler.handler(event, lambda_context)

    assert type(declined.value) is PaymentDeclined
    assert declined.value.decline_code == "generic_decline"
    items = snapshot()
    payment = items[f"PAYMENT#{event['orderId']}"]
    assert (payment["status"], payment["declineCode"]) == ("DECLINED", "generic_decline")
    assert "providerChargeId" not in payment
    assert provider_charges(items) == []


def test_repeated_declined_charge_repeats_the_decline_without_asking_the_provider(
    charge_handler, lambda_context, snapshot, load_event
):
    event = load_event("charge-payment-declined.json")
    with pytest.raises(PaymentDeclined):
        charge_handler.handler(event, lambda_context)
    before = snapshot()

    with pytest.raises(PaymentDeclined):
        charge_handler.handler(event, lambda_context)
    # Even a token that would now succeed must not turn a declined order into a charge.
    with pytest.raises(PaymentDeclined):
        charge_handler.handler(event | {"paymentToken": "tok_visa"}, lambda_context)

    assert snapshot() == before


@pytest.mark.parametrize(
    ("token", "error", "code"),
    [
        ("tok_chargeDeclinedInsufficientFunds", InsufficientFunds, "insufficient_funds"),
        ("tok_doesNotExist", PaymentDeclined, "invalid_token"),
    ],
)
def test_other_declines(charge_handler, lambda_context, snapshot, token, error, code, charge_event):
    event = charge_event(paymentToken=token)

    with pytest.raises(PaymentDeclined) as declined:
        charge_handler.handler(event, lambda_context)

    assert type(declined.value) is error
    assert snapshot()[f"PAYMENT#{event['orderId']}"]["declineCode"] == code


def test_provider_outage_is_transient_and_the_retry_captures_one_charge(
    charge_handler, lambda_context, snapshot, charge_event
):
    event = charge_event(paymentToken="tok_outage_2")
    payment_pk = f"PAYMENT#{event['orderId']}"

    for attempt in (1, 2):
        with pytest.raises(PaymentProviderUnavailable):
            charge_handler.handler(event, lambda_context)
        items = snapshot()
        assert (items[payment_pk]["status"], items[payment_pk]["attempts"]) == ("PENDING", attempt)
        assert provider_charges(items) == []

    result = charge_handler.handler(event, lambda_context)

    items = snapshot()
    assert result["status"] == "CAPTURED"
    assert (items[payment_pk]["status"], items[payment_pk]["attempts"]) == ("CAPTURED", 3)
    assert items[payment_pk]["paymentId"] == result["paymentId"]  # the same payment throughout
    assert len(provider_charges(items)) == 1


def test_a_pending_charge_cannot_be_retried_with_another_amount(
    charge_handler, lambda_context, snapshot, charge_event
):
    with pytest.raises(PaymentProviderUnavailable):
        charge_handler.handler(charge_event(paymentToken="tok_outage_1"), lambda_context)
    before = snapshot()

    with pytest.raises(PaymentConflict):
        charge_handler.handler(
            charge_event(paymentToken="tok_outage_1", amountCents=1), lambda_context
        )
    assert snapshot() == before


@pytest.mark.parametrize(
    "change",
    [
        {"amountCents": 0},
        {"amountCents": -100},
        {"amountCents": 25.98},
        {"currency": "usd"},
        {"currency": "EURO"},
        {"paymentToken": ""},
        {"orderId": ""},
    ],
)
def test_invalid_payload_raises_validation_error_and_writes_nothing(
    charge_handler, lambda_context, snapshot, change, charge_event
):
    with pytest.raises(ValidationError):
        charge_handler.handler(charge_event(**change), lambda_context)
    assert snapshot() == {}


def test_validation_error_does_not_echo_the_token(charge_handler, lambda_context, charge_event):
    with pytest.raises(ValidationError) as invalid:
        charge_handler.handler(charge_event(amountCents=0), lambda_context)
    assert "tok_visa" not in str(invalid.value)


def test_charge_after_refund_of_a_captured_payment_is_cancelled(
    charge_handler, refund_handler, lambda_context, snapshot, charge_event, load_event
):
    charge_handler.handler(charge_event(), lambda_context)
    refund_handler.handler(load_event("refund-payment.json"), lambda_context)
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        charge_handler.handler(charge_event(), lambda_context)
    assert snapshot() == before


@pytest.fixture
def log_stream(charge_handler):
    """The JSON log lines the handler writes (Powertools binds its stream at first use)."""
    stream = io.StringIO()
    previous = charge_handler.logger.registered_handler.setStream(stream)
    yield stream
    charge_handler.logger.registered_handler.setStream(previous)


def test_metrics_and_logs_count_once_and_never_carry_the_token(
    charge_handler, lambda_context, capsys, log_stream, charge_event, load_event
):
    charge_handler.handler(charge_event(paymentToken="tok_mastercard"), lambda_context)
    charge_handler.handler(charge_event(paymentToken="tok_mastercard"), lambda_context)
    with pytest.raises(InsufficientFunds):
        charge_handler.handler(
            load_event("charge-payment-declined.json")
            | {"paymentToken": "tok_chargeDeclinedInsufficientFunds"},
            lambda_context,
        )

    output = capsys.readouterr().out
    blobs = emitted_metrics(output)
    # The replay adds no metric (a replay is not a second payment), so it prints no blob.
    assert [metric_names(blob) for blob in blobs] == [{"PaymentsCaptured"}, {"PaymentsDeclined"}]
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
    charging = [log for log in logs if log["message"] == "Charging"]
    assert charging and charging[0]["tokenLast4"] == "card"
    assert charging[0]["correlation_id"] == charge_event()["orderId"]
