"""Payment records against moto: every transition is guarded, and a rejected one writes nothing
and reports the record that blocked it."""

import pytest

from payments_service.models import PaymentRecord, PaymentStatus
from payments_service.repository import TransitionRejected
from tests.services.payments.conftest import TABLE_NAME

NOW = "2026-11-26T10:00:00.000+00:00"
LATER = "2026-11-26T10:00:05.000+00:00"


def begin(payments, amount=2598, currency="USD", payment_id="pay_1"):
    return payments.begin_charge("ord-1", payment_id, amount, currency, NOW)


def test_table_comes_from_the_template(table, template):
    properties = template["Resources"]["PaymentsTable"]["Properties"]
    assert (
        table.key_schema == properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    )


def test_begin_charge_creates_a_pending_payment(payments, snapshot):
    record = begin(payments)

    assert (record.status, record.paymentId, record.attempts) == (PaymentStatus.PENDING, "pay_1", 1)
    assert snapshot()["PAYMENT#ord-1"] == {
        "pk": "PAYMENT#ord-1",
        "orderId": "ord-1",
        "paymentId": "pay_1",
        "amountCents": 2598,
        "currency": "USD",
        "status": "PENDING",
        "attempts": 1,
        "createdAt": NOW,
        "updatedAt": NOW,
    }


def test_begin_charge_again_on_pending_counts_an_attempt_and_keeps_the_payment_id(payments):
    begin(payments)

    again = begin(payments, payment_id="pay_2")

    assert (again.status, again.paymentId, again.attempts) == (PaymentStatus.PENDING, "pay_1", 2)


@pytest.mark.parametrize(("amount", "currency"), [(2599, "USD"), (2598, "EUR")])
def test_begin_charge_with_other_terms_is_rejected_unchanged(payments, snapshot, amount, currency):
    begin(payments)
    before = snapshot()

    with pytest.raises(TransitionRejected) as rejected:
        begin(payments, amount=amount, currency=currency)

    assert rejected.value.current.amountCents == 2598
    assert snapshot() == before


def authorize(payments, provider_payment_id="pi_1"):
    begin(payments)
    return payments.mark_authorized("ord-1", provider_payment_id, LATER)


def test_authorize_only_from_pending_and_once(payments, snapshot):
    authorized = authorize(payments)
    assert (authorized.status, authorized.providerPaymentId) == (PaymentStatus.AUTHORIZED, "pi_1")
    before = snapshot()

    with pytest.raises(TransitionRejected) as rejected:
        payments.mark_authorized("ord-1", "pi_2", LATER)
    with pytest.raises(TransitionRejected):
        payments.mark_declined("ord-1", "generic_decline", LATER)
    with pytest.raises(TransitionRejected):
        begin(payments)

    assert rejected.value.current.providerPaymentId == "pi_1"
    assert snapshot() == before


def test_capture_only_from_authorized_and_once(payments, snapshot):
    begin(payments)
    with pytest.raises(TransitionRejected):  # nothing authorized yet
        payments.mark_captured("ord-1", LATER)
    payments.mark_authorized("ord-1", "pi_1", LATER)

    captured = payments.mark_captured("ord-1", LATER)
    assert (captured.status, captured.providerPaymentId) == (PaymentStatus.CAPTURED, "pi_1")
    before = snapshot()
    with pytest.raises(TransitionRejected) as rejected:
        payments.mark_captured("ord-1", LATER)
    assert rejected.value.current.status == PaymentStatus.CAPTURED
    assert snapshot() == before
    assert payments.payment("ord-1") == captured


def test_decline_is_final(payments, snapshot):
    begin(payments)
    declined = payments.mark_declined("ord-1", "insufficient_funds", LATER)
    assert (declined.status, declined.declineCode) == (PaymentStatus.DECLINED, "insufficient_funds")
    before = snapshot()

    for transition in (
        lambda: begin(payments),
        lambda: payments.mark_authorized("ord-1", "pi_1", LATER),
        lambda: payments.mark_captured("ord-1", LATER),
        lambda: payments.mark_refunded("ord-1", "re_1", LATER),
        lambda: payments.cancel("ord-1", LATER),
        lambda: payments.mark_authorization_cancelled("ord-1", LATER),
    ):
        with pytest.raises(TransitionRejected):
            transition()
    assert snapshot() == before


def test_refund_only_from_captured_or_authorized_and_once(payments, snapshot):
    with pytest.raises(TransitionRejected) as missing:
        payments.mark_refunded("ord-1", "re_1", LATER)
    assert missing.value.current is None
    assert snapshot() == {}

    authorize(payments)
    payments.mark_captured("ord-1", LATER)
    refunded = payments.mark_refunded("ord-1", "re_1", LATER)
    assert (refunded.status, refunded.providerRefundId) == (PaymentStatus.REFUNDED, "re_1")
    before = snapshot()

    with pytest.raises(TransitionRejected):
        payments.mark_refunded("ord-1", "re_2", LATER)
    with pytest.raises(TransitionRejected):
        payments.mark_captured("ord-1", LATER)
    assert snapshot() == before


def test_an_authorization_cancelled_once_cannot_be_captured_or_refunded(payments, snapshot):
    authorize(payments)

    cancelled = payments.mark_authorization_cancelled("ord-1", LATER)

    assert (cancelled.status, cancelled.authorizationCancelledAt) == (
        PaymentStatus.CANCELLED,
        LATER,
    )
    before = snapshot()
    for transition in (
        lambda: payments.mark_authorization_cancelled("ord-1", LATER),
        lambda: payments.mark_captured("ord-1", LATER),
        lambda: payments.mark_refunded("ord-1", "re_1", LATER),
    ):
        with pytest.raises(TransitionRejected):
            transition()
    assert snapshot() == before


def test_cancel_without_a_record_leaves_a_tombstone_that_blocks_charges(payments, snapshot):
    tombstone = payments.cancel("ord-1", NOW)

    assert tombstone.status == PaymentStatus.CANCELLED
    assert snapshot()["PAYMENT#ord-1"]["status"] == "CANCELLED"
    before = snapshot()
    with pytest.raises(TransitionRejected) as rejected:
        begin(payments)
    assert rejected.value.current.status == PaymentStatus.CANCELLED
    assert snapshot() == before


def test_cancel_a_pending_payment_keeps_its_terms(payments):
    begin(payments)

    cancelled = payments.cancel("ord-1", LATER)

    assert (cancelled.status, cancelled.amountCents, cancelled.paymentId) == (
        PaymentStatus.CANCELLED,
        2598,
        "pay_1",
    )
    with pytest.raises(TransitionRejected):
        payments.mark_authorized("ord-1", "pi_1", LATER)


@pytest.mark.parametrize("captured", [False, True])
def test_the_tombstone_cannot_replace_an_authorization_or_a_capture(payments, snapshot, captured):
    authorize(payments)
    if captured:
        payments.mark_captured("ord-1", LATER)
    before = snapshot()

    with pytest.raises(TransitionRejected):
        payments.cancel("ord-1", LATER)
    assert snapshot() == before


def test_late_authorization_is_attached_and_released_once_on_a_cancelled_payment(
    payments, snapshot
):
    begin(payments)
    with pytest.raises(TransitionRejected):  # not cancelled yet
        payments.attach_late_authorization("ord-1", "pi_1", LATER)
    payments.cancel("ord-1", LATER)

    payments.attach_late_authorization("ord-1", "pi_1", LATER)
    payments.attach_late_authorization("ord-1", "pi_1", LATER)  # a retry is harmless
    with pytest.raises(TransitionRejected):
        payments.attach_late_authorization("ord-1", "pi_other", LATER)
    released = payments.record_late_release("ord-1", LATER)
    before = snapshot()
    with pytest.raises(TransitionRejected):
        payments.record_late_release("ord-1", LATER)

    assert (released.status, released.providerPaymentId, released.authorizationCancelledAt) == (
        PaymentStatus.CANCELLED,
        "pi_1",
        LATER,
    )
    assert snapshot() == before


def test_a_rejection_names_the_record_that_blocked_it_and_a_vanished_one_is_a_fault():
    found = PaymentRecord(orderId="ord-1", status=PaymentStatus.DECLINED)
    assert TransitionRejected(found).record is found
    assert str(TransitionRejected(found)) == "payment is DECLINED"

    with pytest.raises(RuntimeError, match="vanished"):
        _ = TransitionRejected(None).record


def test_records_keep_their_attribute_types(payments, dynamodb):
    authorize(payments)
    payments.mark_captured("ord-1", LATER)

    item = dynamodb.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "PAYMENT#ord-1"}})["Item"]

    assert {name: next(iter(value)) for name, value in item.items()} == {
        "pk": "S",
        "orderId": "S",
        "paymentId": "S",
        "amountCents": "N",
        "currency": "S",
        "status": "S",
        "attempts": "N",
        "providerPaymentId": "S",
        "createdAt": "S",
        "updatedAt": "S",
    }
