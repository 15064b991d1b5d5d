"""The refund use case against moto and the sandbox provider, and the refund-versus-charge
races."""

import pytest

from payments_service.adapters.provider import ProviderUnavailable
from payments_service.charging import charge_payment
from payments_service.errors import PaymentCancelled, PaymentDeclined, PaymentProviderUnavailable
from payments_service.models import ChargePaymentRequest, RefundPaymentRequest
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


def test_refund_of_a_captured_payment_refunds_what_was_captured(
    charge, refund, charge_event, snapshot, payment
):
    charge()

    assert refund() == {"status": "REFUNDED"}

    refunded = payment()
    provider_charge = charge_item(snapshot())
    assert refunded["status"] == "REFUNDED"
    assert refunded["providerRefundId"] == provider_charge["refundId"]
    assert provider_charge["refundedCents"] == charge_event["amountCents"]


def test_refund_runs_once(charge, refund, snapshot):
    charge()
    refund()
    after_first = snapshot()

    assert refund() == {"status": "REFUNDED"}
    assert snapshot() == after_first  # the provider was not asked again


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


def test_refund_of_a_pending_payment_cancels_it_and_the_retried_charge_does_not_capture(
    charge, refund, snapshot, payment
):
    with pytest.raises(PaymentProviderUnavailable):
        charge(paymentToken="tok_outage_1")

    assert refund() == {"status": "NOTHING_TO_REFUND"}
    assert payment()["status"] == "CANCELLED"
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        charge(paymentToken="tok_outage_1")
    assert snapshot() == before  # the provider was not asked to charge again


def test_refund_outage_fails_transiently_and_leaves_the_payment_captured(
    charge, refund, snapshot, payment
):
    charge(paymentToken="tok_refundOutage")
    captured = payment()

    for _ in range(2):
        with pytest.raises(PaymentProviderUnavailable):
            refund()

    assert payment() == captured
    assert "refundId" not in charge_item(snapshot())


def test_a_refund_is_counted_once_per_order(charge, refund, counted, metadata):
    charge()
    counted_before = counted()

    refund()
    refund()

    assert counted() == counted_before | {"RefundsIssued": 1}
    assert metadata["reason"] == "compensation"


def test_a_refund_outage_is_counted_with_its_operation(charge, refund, counted, metadata):
    charge(paymentToken="tok_refundOutage")

    with pytest.raises(PaymentProviderUnavailable):
        refund()

    assert counted()["ProviderUnavailable"] == 1
    assert metadata["operation"] == "refund"


class RefundWhileCharging:
    """The provider, but the refund task runs while the charge is still at the provider (a
    step timeout on the state machine's side while the charge Lambda keeps running)."""

    def __init__(self, provider, run_refund, refund_failures: int = 0) -> None:
        self._provider = provider
        self._run_refund = run_refund
        self._refund_failures = refund_failures

    def charge(self, *args):
        self._run_refund()
        return self._provider.charge(*args)

    def refund(self, *args):
        if self._refund_failures:
            self._refund_failures -= 1
            raise ProviderUnavailable("flaky")
        return self._provider.refund(*args)


@pytest.fixture
def refund_while_charging(provider, refund):
    refund_results = []

    def install(refund_failures: int = 0) -> tuple[RefundWhileCharging, list]:
        racing = RefundWhileCharging(
            provider, lambda: refund_results.append(refund()), refund_failures
        )
        return racing, refund_results

    return install


def test_charge_that_lands_after_the_refund_ran_is_refunded_and_cancelled(
    charge, charge_event, snapshot, payment, refund_while_charging, counted, metadata
):
    racing, refund_results = refund_while_charging()

    with pytest.raises(PaymentCancelled):
        charge(paying_with=racing)

    assert refund_results == [{"status": "NOTHING_TO_REFUND"}]
    record, provider_charge = payment(), charge_item(snapshot())
    assert record["status"] == "CANCELLED"
    assert record["providerChargeId"] == provider_charge["chargeId"]
    assert record["providerRefundId"] == provider_charge["refundId"]
    assert provider_charge["refundedCents"] == charge_event["amountCents"]
    assert counted() == {"RefundsIssued": 1}
    assert metadata["reason"] == "late_charge"


def test_late_charge_refund_that_fails_is_retried_by_the_next_charge_delivery(
    charge, snapshot, payment, refund_while_charging
):
    racing, _ = refund_while_charging(refund_failures=1)
    with pytest.raises(PaymentProviderUnavailable):
        charge(paying_with=racing)
    assert "providerRefundId" not in payment()
    assert payment()["providerChargeId"] == charge_item(snapshot())["chargeId"]

    with pytest.raises(PaymentCancelled):
        charge(paying_with=racing)

    assert payment()["providerRefundId"] == charge_item(snapshot())["refundId"]


def test_late_charge_refund_that_fails_is_retried_by_the_refund_task(
    charge, refund, snapshot, payment, refund_while_charging
):
    racing, _ = refund_while_charging(refund_failures=1)
    with pytest.raises(PaymentProviderUnavailable):
        charge(paying_with=racing)

    assert refund() == {"status": "NOTHING_TO_REFUND"}

    record, provider_charge = payment(), charge_item(snapshot())
    assert (record["status"], record["providerRefundId"]) == (
        "CANCELLED",
        provider_charge["refundId"],
    )
    assert refund() == {"status": "NOTHING_TO_REFUND"}
    assert charge_item(snapshot())["refundId"] == provider_charge["refundId"]  # refunded once
