"""The capture use case against moto and the sandbox provider: the authorized amount is taken
once, whatever the deliveries; a capture never takes what the compensation gave back."""

import pytest

from payments_service.adapters.provider import ProviderUnavailable
from payments_service.capturing import capture_payment
from payments_service.charging import charge_payment
from payments_service.errors import (
    PaymentCancelled,
    PaymentNotAuthorized,
    PaymentProviderUnavailable,
)
from payments_service.models import (
    CapturePaymentRequest,
    ChargePaymentRequest,
    RefundPaymentRequest,
)
from payments_service.refunding import refund_payment


@pytest.fixture
def order_id(load_event) -> str:
    return load_event("capture-payment.json")["orderId"]


@pytest.fixture
def charge(payments, provider, paying_event):
    def run(**changes) -> dict:
        request = ChargePaymentRequest.model_validate(paying_event(**changes))
        return charge_payment(request, payments=payments, provider=provider)

    return run


@pytest.fixture
def capture(payments, provider, order_id):
    def run(paying_with=None) -> dict:
        request = CapturePaymentRequest(orderId=order_id)
        return capture_payment(request, payments=payments, provider=paying_with or provider)

    return run


@pytest.fixture
def payment(snapshot, order_id):
    return lambda: snapshot()[f"PAYMENT#{order_id}"]


def ledger_charge(snapshot) -> dict:
    [item] = [i for pk, i in snapshot().items() if pk.startswith("SIMPROVIDER#CHARGE#")]
    return item


def test_capture_takes_the_authorized_amount_once(charge, capture, payment, snapshot, counted):
    authorized = charge()

    result = capture()

    assert result == {"paymentId": authorized["paymentId"], "status": "CAPTURED"}
    assert payment()["status"] == "CAPTURED"
    assert (ledger_charge(snapshot)["captured"], ledger_charge(snapshot)["capturedCents"]) == (
        True,
        payment()["amountCents"],
    )
    before = snapshot()
    assert capture() == result  # a repeat answers from the record
    assert snapshot() == before
    assert counted()["PaymentsCaptured"] == 1


def test_a_capture_without_an_authorization_is_a_caller_bug_and_writes_nothing(
    charge, capture, snapshot
):
    with pytest.raises(PaymentNotAuthorized):
        capture()
    assert snapshot() == {}

    with pytest.raises(PaymentProviderUnavailable):  # PENDING: never authorized
        charge(paymentToken="tok_outage_1")
    before = snapshot()
    with pytest.raises(PaymentNotAuthorized):
        capture()
    assert snapshot() == before


def test_a_capture_after_the_compensation_cancelled_the_authorization_takes_nothing(
    charge, capture, payments, provider, order_id, snapshot
):
    charge()
    refund_payment(RefundPaymentRequest(orderId=order_id), payments=payments, provider=provider)
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        capture()
    assert snapshot() == before
    assert "captured" not in ledger_charge(snapshot)


def test_a_provider_outage_is_transient_and_leaves_the_authorization(
    charge, capture, payment, counted, metadata
):
    charge()

    with pytest.raises(PaymentProviderUnavailable):
        capture(paying_with=Unavailable())

    assert payment()["status"] == "AUTHORIZED"
    assert counted()["ProviderUnavailable"] == 1 and metadata["operation"] == "capture"
    assert capture()["status"] == "CAPTURED"  # the retry


def test_a_capture_the_compensation_refunded_meanwhile_is_cancelled(
    charge, capture, payments, provider, order_id, payment
):
    """The capture reached the provider; before it recorded it, the compensation (its task
    timed out on the state machine's side) found the capture there and refunded it."""
    charge()
    compensate = RefundPaymentRequest(orderId=order_id)
    racing = CompensationAfterCapture(
        provider, lambda: refund_payment(compensate, payments=payments, provider=provider)
    )

    with pytest.raises(PaymentCancelled):
        capture(paying_with=racing)

    assert payment()["status"] == "REFUNDED"


class Unavailable:
    def capture(self, *args):
        raise ProviderUnavailable("down")


class CompensationAfterCapture:
    def __init__(self, provider, compensate) -> None:
        self._provider = provider
        self._compensate = compensate

    def capture(self, *args):
        self._provider.capture(*args)
        self._compensate()
