"""The compensation (RefundPayment) against moto and the sandbox provider: it cancels an
authorization, refunds a capture, leaves a tombstone when nothing was authorized, and wins the
races with a late authorization or capture."""

import pytest

from payments_service.adapters.provider import ProviderUnavailable
from payments_service.capturing import capture_payment
from payments_service.charging import charge_payment
from payments_service.errors import PaymentCancelled, PaymentDeclined, PaymentProviderUnavailable
from payments_service.models import (
    CapturePaymentRequest,
    ChargePaymentRequest,
    RefundPaymentRequest,
)
from payments_service.refunding import refund_payment


@pytest.fixture
def refund_request(load_event) -> RefundPaymentRequest:
    return RefundPaymentRequest.model_validate(load_event("refund-payment.json"))


@pytest.fixture
def charge_event(load_event) -> dict:
    return load_event("charge-payment.json")


@pytest.fixture
def charge(payments, provider, paying_event, refund_request):
    def run(paying_with=None, **changes) -> dict:
        event = paying_event(**changes)
        assert event["orderId"] == refund_request.orderId  # the sample events describe one order
        request = ChargePaymentRequest.model_validate(event)
        return charge_payment(request, payments=payments, provider=paying_with or provider)

    return run


@pytest.fixture
def capture(payments, provider, refund_request):
    request = CapturePaymentRequest(orderId=refund_request.orderId)
    return lambda: capture_payment(request, payments=payments, provider=provider)


@pytest.fixture
def refund(payments, provider, refund_request):
    return lambda: refund_payment(refund_request, payments=payments, provider=provider)


@pytest.fixture
def payment(snapshot, refund_request):
    return lambda: snapshot()[f"PAYMENT#{refund_request.orderId}"]


def provider_items(items: dict) -> dict:
    return {pk: item for pk, item in items.items() if pk.startswith("SIMPROVIDER#")}


def charge_item(items: dict) -> dict:
    [item] = [i for pk, i in items.items() if pk.startswith("SIMPROVIDER#CHARGE#")]
    return item


def test_compensating_an_authorization_cancels_it_and_refunds_nothing(
    charge, refund, capture, snapshot, payment
):
    charge()

    assert refund() == {"status": "CANCELLED"}

    record, provider_charge = payment(), charge_item(snapshot())
    assert record["status"] == "CANCELLED" and record["authorizationCancelledAt"]
    assert "providerRefundId" not in record
    assert provider_charge["cancelled"] is True and "refundId" not in provider_charge
    before = snapshot()
    assert refund() == {"status": "CANCELLED"}  # a repeat asks nothing
    with pytest.raises(PaymentCancelled):  # and a late capture takes nothing
        capture()
    assert snapshot() == before


def test_compensating_a_capture_refunds_what_was_captured(
    charge, capture, refund, charge_event, snapshot, payment
):
    charge()
    capture()

    assert refund() == {"status": "REFUNDED"}

    refunded = payment()
    provider_charge = charge_item(snapshot())
    assert refunded["status"] == "REFUNDED"
    assert refunded["providerRefundId"] == provider_charge["refundId"]
    assert provider_charge["refundedCents"] == charge_event["amountCents"]


def test_refund_runs_once(charge, capture, refund, snapshot):
    charge()
    capture()
    refund()
    after_first = snapshot()

    assert refund() == {"status": "REFUNDED"}
    assert snapshot() == after_first  # the provider was not asked again


def test_a_capture_the_record_missed_is_refunded_not_cancelled(
    charge, refund, provider, snapshot, payment
):
    """CapturePayment's Lambda captured at the provider, then timed out before recording it."""
    charge()
    provider.capture(payment()["providerPaymentId"], payment()["amountCents"], "any")

    assert refund() == {"status": "REFUNDED"}

    assert payment()["status"] == "REFUNDED"
    assert charge_item(snapshot())["refundId"] == payment()["providerRefundId"]


def test_refund_before_any_charge_leaves_a_tombstone_and_the_late_charge_is_cancelled(
    charge, refund, snapshot, payment, register, refund_request
):
    register(refund_request.orderId, "tok_visa")  # placing the order did
    assert refund() == {"status": "NOTHING_TO_REFUND"}
    assert payment()["status"] == "CANCELLED"
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        charge()

    assert snapshot() == before
    assert provider_items(before) == {}  # the provider never saw the order


def test_refund_after_a_decline_changes_nothing(charge, refund, snapshot):
    with pytest.raises(PaymentDeclined, match="declined"):
        charge(paymentToken="tok_chargeDeclined")
    before = snapshot()

    assert refund() == {"status": "NOTHING_TO_REFUND"}
    assert refund() == {"status": "NOTHING_TO_REFUND"}
    assert snapshot() == before


def test_refund_of_a_pending_payment_cancels_it_and_the_retried_charge_does_not_authorize(
    charge, refund, snapshot, payment
):
    with pytest.raises(PaymentProviderUnavailable):
        charge(paymentToken="tok_outage_1")

    assert refund() == {"status": "NOTHING_TO_REFUND"}
    assert payment()["status"] == "CANCELLED"
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        charge(paymentToken="tok_outage_1")
    assert snapshot() == before  # the provider was not asked again


def test_refund_outage_fails_transiently_and_leaves_the_payment_captured(
    charge, capture, refund, snapshot, payment
):
    charge(paymentToken="tok_refundOutage")
    capture()
    captured = payment()

    for _ in range(2):
        with pytest.raises(PaymentProviderUnavailable):
            refund()

    assert payment() == captured
    assert "refundId" not in charge_item(snapshot())


def test_a_refund_and_a_cancel_are_each_counted_once_per_order(
    charge, capture, refund, counted, metadata
):
    charge()
    capture()
    counted_before = counted()

    refund()
    refund()

    assert counted() == counted_before | {"RefundsIssued": 1}
    assert metadata["reason"] == "compensation"


def test_a_refund_outage_is_counted_with_its_operation(charge, capture, refund, counted, metadata):
    charge(paymentToken="tok_refundOutage")
    capture()

    with pytest.raises(PaymentProviderUnavailable):
        refund()

    assert counted()["ProviderUnavailable"] == 1
    assert metadata["operation"] == "refund"


class RefundWhileAuthorizing:
    """The provider, but the compensation runs while the authorization is still at the provider
    (a step timeout on the state machine's side while the charge Lambda keeps running)."""

    def __init__(self, provider, run_refund, cancel_failures: int = 0) -> None:
        self._provider = provider
        self._run_refund = run_refund
        self._cancel_failures = cancel_failures

    def authorize(self, *args):
        self._run_refund()
        return self._provider.authorize(*args)

    def cancel(self, *args):
        if self._cancel_failures:
            self._cancel_failures -= 1
            raise ProviderUnavailable("flaky")
        return self._provider.cancel(*args)


@pytest.fixture
def refund_while_authorizing(provider, refund):
    refund_results = []

    def install(cancel_failures: int = 0) -> tuple[RefundWhileAuthorizing, list]:
        racing = RefundWhileAuthorizing(
            provider, lambda: refund_results.append(refund()), cancel_failures
        )
        return racing, refund_results

    return install


def test_an_authorization_that_lands_after_the_compensation_ran_is_cancelled(
    charge, snapshot, payment, refund_while_authorizing, counted, metadata
):
    racing, refund_results = refund_while_authorizing()

    with pytest.raises(PaymentCancelled):
        charge(paying_with=racing)

    assert refund_results == [{"status": "NOTHING_TO_REFUND"}]
    record, provider_charge = payment(), charge_item(snapshot())
    assert record["status"] == "CANCELLED"
    assert record["providerPaymentId"] == provider_charge["chargeId"]
    assert record["authorizationCancelledAt"]
    assert provider_charge["cancelled"] is True and "captured" not in provider_charge
    assert counted() == {"AuthorizationsCancelled": 1}
    assert metadata["reason"] == "late_authorization"


def test_a_late_release_that_fails_is_retried_by_the_next_charge_delivery(
    charge, snapshot, payment, refund_while_authorizing
):
    racing, _ = refund_while_authorizing(cancel_failures=1)
    with pytest.raises(PaymentProviderUnavailable):
        charge(paying_with=racing)
    assert "authorizationCancelledAt" not in payment()
    assert payment()["providerPaymentId"] == charge_item(snapshot())["chargeId"]

    with pytest.raises(PaymentCancelled):
        charge(paying_with=racing)

    assert payment()["authorizationCancelledAt"]
    assert charge_item(snapshot())["cancelled"] is True


def test_a_late_release_that_fails_is_retried_by_the_compensation(
    charge, refund, snapshot, payment, refund_while_authorizing
):
    racing, _ = refund_while_authorizing(cancel_failures=1)
    with pytest.raises(PaymentProviderUnavailable):
        charge(paying_with=racing)

    assert refund() == {"status": "CANCELLED"}

    assert (payment()["status"], charge_item(snapshot())["cancelled"]) == ("CANCELLED", True)
    assert payment()["authorizationCancelledAt"]
    assert refund() == {"status": "CANCELLED"}
