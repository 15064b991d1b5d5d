"""RefundPaymentFunction driven by its events/ file, and the refund-versus-charge races."""

import json

import pytest
from pydantic import ValidationError

from payments_service.adapters.provider import ProviderUnavailable
from payments_service.errors import PaymentCancelled, PaymentProviderUnavailable


@pytest.fixture
def refund_event(load_event):
    return load_event("refund-payment.json")


@pytest.fixture
def charge_event(load_event, refund_event):
    event = load_event("charge-payment.json")
    assert event["orderId"] == refund_event["orderId"]  # the sample events describe one order
    return event


@pytest.fixture
def payment(snapshot, refund_event):
    return lambda: snapshot()[f"PAYMENT#{refund_event['orderId']}"]


def provider_items(items: dict) -> dict:
    return {pk: item for pk, item in items.items() if pk.startswith("SIMPROVIDER#")}


def charge_item(items: dict) -> dict:
    [item] = [i for pk, i in items.items() if pk.startswith("SIMPROVIDER#CHARGE#")]
    return item


def test_refund_of_a_captured_payment_refunds_what_was_captured(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, snapshot, payment
):
    charge_handler.handler(charge_event, lambda_context)

    assert refund_handler.handler(refund_event, lambda_context) == {"status": "REFUNDED"}

    refunded = payment()
    charge = charge_item(snapshot())
    assert refunded["status"] == "REFUNDED"
    assert refunded["providerRefundId"] == charge["refundId"]
    assert charge["refundedCents"] == charge_event["amountCents"]


def test_refund_runs_once(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, snapshot
):
    charge_handler.handler(charge_event, lambda_context)
    refund_handler.handler(refund_event, lambda_context)
    after_first = snapshot()

    assert refund_handler.handler(refund_event, lambda_context) == {"status": "REFUNDED"}
    assert snapshot() == after_first  # the provider was not asked again


def test_refund_before_any_charge_leaves_a_tombstone_and_the_late_charge_is_cancelled(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, snapshot, payment
):
    assert refund_handler.handler(refund_event, lambda_context) == {"status": "NOTHING_TO_REFUND"}
    assert payment()["status"] == "CANCELLED"
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        charge_handler.handler(charge_event, lambda_context)

    assert snapshot() == before
    assert provider_items(before) == {}  # the provider never saw the order


def test_refund_after_a_decline_changes_nothing(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, snapshot, payment
):
    with pytest.raises(Exception, match="declined"):
        charge_handler.handler(
            charge_event | {"paymentToken": "tok_chargeDeclined"}, lambda_context
        )
    before = snapshot()

    assert refund_handler.handler(refund_event, lambda_context) == {"status": "NOTHING_TO_REFUND"}
    assert refund_handler.handler(refund_event, lambda_context) == {"status": "NOTHING_TO_REFUND"}
    assert snapshot() == before


def test_refund_of_a_pending_payment_cancels_it_and_the_retried_charge_does_not_capture(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, snapshot, payment
):
    event = charge_event | {"paymentToken": "tok_outage_1"}
    with pytest.raises(PaymentProviderUnavailable):
        charge_handler.handler(event, lambda_context)

    assert refund_handler.handler(refund_event, lambda_context) == {"status": "NOTHING_TO_REFUND"}
    assert payment()["status"] == "CANCELLED"
    before = snapshot()

    with pytest.raises(PaymentCancelled):
        charge_handler.handler(event, lambda_context)
    assert snapshot() == before  # the provider was not asked to charge again


def test_refund_outage_fails_transiently_and_leaves_the_payment_captured(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, snapshot, payment
):
    charge_handler.handler(charge_event | {"paymentToken": "tok_refundOutage"}, lambda_context)
    captured = payment()

    for _ in range(2):
        with pytest.raises(PaymentProviderUnavailable):
            refund_handler.handler(refund_event, lambda_context)

    assert payment() == captured
    assert "refundId" not in charge_item(snapshot())


def test_refund_metrics(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, capsys
):
    charge_handler.handler(charge_event, lambda_context)
    capsys.readouterr()

    refund_handler.handler(refund_event, lambda_context)
    refund_handler.handler(refund_event, lambda_context)

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [blob["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for blob in blobs] == [
        "RefundsIssued"
    ]


def test_refund_outage_metric(
    charge_handler, refund_handler, lambda_context, charge_event, refund_event, capsys
):
    charge_handler.handler(charge_event | {"paymentToken": "tok_refundOutage"}, lambda_context)
    capsys.readouterr()

    with pytest.raises(PaymentProviderUnavailable):
        refund_handler.handler(refund_event, lambda_context)

    [blob] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert blob["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == "ProviderUnavailable"
    assert blob["operation"] == "refund"


@pytest.mark.parametrize("event", [{}, {"orderId": ""}, {"orderId": None}])
def test_invalid_refund_payload_raises_validation_error_and_writes_nothing(
    refund_handler, lambda_context, snapshot, event
):
    with pytest.raises(ValidationError):
        refund_handler.handler(event, lambda_context)
    assert snapshot() == {}


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
def refund_while_charging(
    charge_handler, refund_handler, lambda_context, refund_event, monkeypatch
):
    refund_results = []

    def install(refund_failures: int = 0) -> list:
        provider = RefundWhileCharging(
            charge_handler.provider,
            lambda: refund_results.append(refund_handler.handler(refund_event, lambda_context)),
            refund_failures,
        )
        monkeypatch.setattr(charge_handler, "provider", provider)
        return refund_results

    return install


def test_charge_that_lands_after_the_refund_ran_is_refunded_and_cancelled(
    charge_handler, lambda_context, charge_event, snapshot, payment, refund_while_charging
):
    refund_results = refund_while_charging()

    with pytest.raises(PaymentCancelled):
        charge_handler.handler(charge_event, lambda_context)

    assert refund_results == [{"status": "NOTHING_TO_REFUND"}]
    record, charge = payment(), charge_item(snapshot())
    assert record["status"] == "CANCELLED"
    assert record["providerChargeId"] == charge["chargeId"]
    assert record["providerRefundId"] == charge["refundId"]
    assert charge["refundedCents"] == charge_event["amountCents"]


def test_late_charge_refund_that_fails_is_retried_by_the_next_charge_delivery(
    charge_handler, lambda_context, charge_event, snapshot, payment, refund_while_charging
):
    refund_while_charging(refund_failures=1)
    with pytest.raises(PaymentProviderUnavailable):
        charge_handler.handler(charge_event, lambda_context)
    assert "providerRefundId" not in payment()
    assert payment()["providerChargeId"] == charge_item(snapshot())["chargeId"]

    with pytest.raises(PaymentCancelled):
        charge_handler.handler(charge_event, lambda_context)

    assert payment()["providerRefundId"] == charge_item(snapshot())["refundId"]


def test_late_charge_refund_that_fails_is_retried_by_the_refund_task(
    charge_handler,
    refund_handler,
    lambda_context,
    charge_event,
    refund_event,
    snapshot,
    payment,
    refund_while_charging,
):
    refund_while_charging(refund_failures=1)
    with pytest.raises(PaymentProviderUnavailable):
        charge_handler.handler(charge_event, lambda_context)

    assert refund_handler.handler(refund_event, lambda_context) == {"status": "NOTHING_TO_REFUND"}

    record, charge = payment(), charge_item(snapshot())
    assert (record["status"], record["providerRefundId"]) == ("CANCELLED", charge["refundId"])
    assert refund_handler.handler(refund_event, lambda_context) == {"status": "NOTHING_TO_REFUND"}
    assert charge_item(snapshot())["refundId"] == charge["refundId"]  # refunded once
