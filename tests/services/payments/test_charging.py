"""The charge use case (it authorizes) against moto and the sandbox provider: one authorization
per order, whatever the deliveries, and each business event counted once."""

import pytest

from payments_service.charging import charge_payment
from payments_service.errors import (
    InsufficientFunds,
    PaymentCancelled,
    PaymentConflict,
    PaymentDeclined,
    PaymentProviderUnavailable,
)
from payments_service.models import ChargePaymentRequest, RefundPaymentRequest
from payments_service.refunding import refund_payment


@pytest.fixture
def charge_request(paying_event):
    """The sample event's request, with `changes`, its token registered (`paymentToken`)."""

    def build(event: str = "charge-payment.json", **changes) -> ChargePaymentRequest:
        return ChargePaymentRequest.model_validate(paying_event(event, **changes))

    return build


@pytest.fixture
def charge(payments, provider, charge_request):
    def run(event: str = "charge-payment.json", **changes) -> dict:
        request = charge_request(event, **changes)
        return charge_payment(request, payments=payments, provider=provider)

    return run


def provider_charges(items: dict) -> list[dict]:
    """Charges the sandbox made (its ledger keeps declines and counted attempts there too)."""
    return [
        item
        for pk, item in items.items()
        if pk.startswith("SIMPROVIDER#CHARGE#") and item.get("state") == "SUCCEEDED"
    ]


def test_charge_authorizes_once_and_keeps_the_token_in_its_registration_only(
    charge, charge_request, snapshot
):
    request = charge_request()

    result = charge()

    assert result["status"] == "AUTHORIZED"
    assert result["paymentId"].startswith("pay_")
    items = snapshot()
    payment = items[f"PAYMENT#{request.orderId}"]
    [provider_charge] = provider_charges(items)
    assert payment["status"] == "AUTHORIZED"
    assert "captured" not in provider_charge  # held, not taken
    assert payment["paymentId"] == result["paymentId"]
    assert (payment["amountCents"], payment["currency"]) == (request.amountCents, "USD")
    assert payment["providerPaymentId"] == provider_charge["chargeId"]
    assert payment["attempts"] == 1
    assert "providerRefundId" not in payment and "declineCode" not in payment
    holding_the_token = [pk for pk, item in items.items() if "pm_card_visa" in repr(item)]
    assert holding_the_token == [f"PAYMENTREF#{request.orderId}"]


def test_charging_the_same_order_twice_returns_the_first_result_and_charges_once(charge, snapshot):
    first = charge()
    after_first = snapshot()

    again = charge()

    assert again == first
    assert snapshot() == after_first  # not even the provider was asked again
    assert len(provider_charges(after_first)) == 1


def test_second_charge_with_another_amount_is_a_conflict_and_charges_nothing(charge, snapshot):
    charge()
    before = snapshot()

    with pytest.raises(PaymentConflict):
        charge(amountCents=9999)
    with pytest.raises(PaymentConflict):
        charge(currency="EUR")

    assert snapshot() == before


def test_decline_raises_payment_declined_and_records_the_decline(charge, charge_request, snapshot):
    with pytest.raises(PaymentDeclined) as declined:
        charge("charge-payment-declined.json")

    assert type(declined.value) is PaymentDeclined
    assert declined.value.decline_code == "generic_decline"
    items = snapshot()
    payment = items[f"PAYMENT#{charge_request('charge-payment-declined.json').orderId}"]
    assert (payment["status"], payment["declineCode"]) == ("DECLINED", "generic_decline")
    assert "providerPaymentId" not in payment
    assert provider_charges(items) == []


def test_repeated_declined_charge_repeats_the_decline_without_asking_the_provider(charge, snapshot):
    with pytest.raises(PaymentDeclined):
        charge("charge-payment-declined.json")
    before = snapshot()

    with pytest.raises(PaymentDeclined):
        charge("charge-payment-declined.json")
    # Even a token that would now succeed must not turn a declined order into a charge.
    with pytest.raises(PaymentDeclined):
        charge("charge-payment-declined.json", paymentToken="tok_visa")

    assert snapshot() == before


@pytest.mark.parametrize(
    ("token", "error", "code"),
    [
        ("tok_chargeDeclinedInsufficientFunds", InsufficientFunds, "insufficient_funds"),
        ("tok_doesNotExist", PaymentDeclined, "invalid_token"),
    ],
)
def test_other_declines(charge, charge_request, snapshot, token, error, code):
    with pytest.raises(PaymentDeclined) as declined:
        charge(paymentToken=token)

    assert type(declined.value) is error
    assert snapshot()[f"PAYMENT#{charge_request().orderId}"]["declineCode"] == code


def test_provider_outage_is_transient_and_the_retry_authorizes_once(charge, load_event, snapshot):
    payment_pk = f"PAYMENT#{load_event('charge-payment.json')['orderId']}"

    for attempt in (1, 2):
        with pytest.raises(PaymentProviderUnavailable):
            charge(paymentToken="tok_outage_2")
        items = snapshot()
        assert (items[payment_pk]["status"], items[payment_pk]["attempts"]) == ("PENDING", attempt)
        assert provider_charges(items) == []

    result = charge(paymentToken="tok_outage_2")

    items = snapshot()
    assert result["status"] == "AUTHORIZED"
    assert (items[payment_pk]["status"], items[payment_pk]["attempts"]) == ("AUTHORIZED", 3)
    assert items[payment_pk]["paymentId"] == result["paymentId"]  # the same payment throughout
    assert len(provider_charges(items)) == 1


def test_a_pending_charge_cannot_be_retried_with_another_amount(charge, snapshot):
    with pytest.raises(PaymentProviderUnavailable):
        charge(paymentToken="tok_outage_1")
    before = snapshot()

    with pytest.raises(PaymentConflict):
        charge(paymentToken="tok_outage_1", amountCents=1)
    assert snapshot() == before


def test_charge_after_the_compensation_cancelled_the_authorization_is_cancelled(
    charge, charge_request, payments, provider, snapshot
):
    charge()
    refund = RefundPaymentRequest(orderId=charge_request().orderId)
    refund_payment(refund, payments=payments, provider=provider)
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        charge()
    assert snapshot() == before


def test_an_authorization_and_a_decline_are_each_counted_once_per_order(charge, counted, metadata):
    charge(paymentToken="tok_mastercard")
    charge(paymentToken="tok_mastercard")  # a replay is not a second payment
    assert counted() == {"PaymentsAuthorized": 1}
    assert metadata["paymentId"].startswith("pay_")

    for _ in range(2):
        with pytest.raises(InsufficientFunds):
            charge(
                "charge-payment-declined.json", paymentToken="tok_chargeDeclinedInsufficientFunds"
            )

    assert counted() == {"PaymentsAuthorized": 1, "PaymentsDeclined": 1}
    assert metadata["declineCode"] == "insufficient_funds"


def test_a_provider_outage_is_counted_per_attempt_with_its_operation(charge, counted, metadata):
    for _ in range(2):
        with pytest.raises(PaymentProviderUnavailable):
            charge(paymentToken="tok_outage_2")

    assert counted() == {"ProviderUnavailable": 2}
    assert metadata["operation"] == "authorize"
