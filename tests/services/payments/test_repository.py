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


def test_capture_only_from_pending_and_once(payments, snapshot):
    begin(payments)
    captured = payments.mark_captured("ord-1", "ch_1", LATER)
    assert (captured.status, captured.providerChargeId) == (PaymentStatus.CAPTURED, "ch_1")
    before = snapshot()

    with pytest.raises(TransitionRejected) as rejected:
        payments.mark_captured("ord-1", "ch_2", LATER)
    with pytest.raises(TransitionRejected):
        payments.mark_declined("ord-1", "generic_decline", LATER)
    with pytest.raises(TransitionRejected):
        begin(payments)

    assert rejected.value.current.providerChargeId == "ch_1"
    assert snapshot() == before


def test_decline_is_final(payments, snapshot):
    begin(payments)
    declined = payments.mark_declined("ord-1", "insufficient_funds", LATER)
    assert (declined.status, declined.declineCode) == (PaymentStatus.DECLINED, "insufficient_funds")
    before = snapshot()

    for transition in (
        lambda: begin(payments),
        lambda: payments.mark_captured("ord-1", "ch_1", LATER),
        lambda: payments.mark_refunded("ord-1", "re_1", LATER),
        lambda: payments.cancel("ord-1", LATER),
    ):
        with pytest.raises(TransitionRejected):
            transition()
    assert snapshot() == before


def test_refund_only_from_captured_and_once(payments, snapshot):
    with pytest.raises(TransitionRejected) as missing:
        payments.mark_refunded("ord-1", "re_1", LATER)
    assert missing.value.current is None
    assert snapshot() == {}

    begin(payments)
    payments.mark_captured("ord-1", "ch_1", LATER)
    refunded = payments.mark_refunded("ord-1", "re_1", LATER)
    assert (refunded.status, refunded.providerRefundId) == (PaymentStatus.REFUNDED, "re_1")
    before = snapshot()

    with pytest.raises(TransitionRejected):
        payments.mark_refunded("ord-1", "re_2", LATER)
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
        payments.mark_captured("ord-1", "ch_1", LATER)


def test_cancel_after_capture_is_rejected(payments, snapshot):
    begin(payments)
    payments.mark_captured("ord-1", "ch_1", LATER)
    before = snapshot()

    with pytest.raises(TransitionRejected):
        payments.cancel("ord-1", LATER)
    assert snapshot() == before


def test_late_charge_is_attached_and_refunded_once_on_a_cancelled_payment(payments, snapshot):
    begin(payments)
    with pytest.raises(TransitionRejected):  # not cancelled yet
        payments.attach_late_charge("ord-1", "ch_1", LATER)
    payments.cancel("ord-1", LATER)

    payments.attach_late_charge("ord-1", "ch_1", LATER)
    payments.attach_late_charge("ord-1", "ch_1", LATER)  # a retry is harmless
    with pytest.raises(TransitionRejected):
        payments.attach_late_charge("ord-1", "ch_other", LATER)
    refunded = payments.record_late_charge_refund("ord-1", "re_1", LATER)
    before = snapshot()
    with pytest.raises(TransitionRejected):
        payments.record_late_charge_refund("ord-1", "re_2", LATER)

    assert (refunded.status, refunded.providerChargeId, refunded.providerRefundId) == (
        PaymentStatus.CANCELLED,
        "ch_1",
        "re_1",
    )
    assert snapshot() == before


def test_a_rejection_names_the_record_that_blocked_it_and_a_vanished_one_is_a_fault():
    found = PaymentRecord(orderId="ord-1", status=PaymentStatus.DECLINED)
    assert TransitionRejected(found).record is found
    assert str(TransitionRejected(found)) == "payment is DECLINED"

    with pytest.raises(RuntimeError, match="vanished"):
        _ = TransitionRejected(None).record


def test_records_keep_their_attribute_types(payments, dynamodb):
    begin(payments)
    payments.mark_captured("ord-1", "ch_1", LATER)

    item = dynamodb.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "PAYMENT#ord-1"}})["Item"]

    assert {name: next(iter(value)) for name, value in item.items()} == {
        "pk": "S",
        "orderId": "S",
        "paymentId": "S",
        "amountCents": "N",
        "currency": "S",
        "status": "S",
        "attempts": "N",
        "providerChargeId": "S",
        "createdAt": "S",
        "updatedAt": "S",
    }
