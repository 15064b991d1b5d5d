"""Payment records against moto: every transition is guarded, and a rejected one writes nothing
and reports the record that blocked it."""

import pytest

from payments_service.domain import TransitionRejected
from payments_service.models import PaymentStatus

NOW = "2026-11-26T10:00:00+00:00"
LATER = "2026-11-26T10:00:05+00:00"


def begin(repository, amount=2598, currency="USD", payment_id="pay_1"):
    return repository.begin_charge("ord-1", payment_id, amount, currency, NOW)


def test_table_comes_from_the_template(table, template):
    properties = template["Resources"]["PaymentsTable"]["Properties"]
    assert (
        table.key_schema == properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    )


def test_begin_charge_creates_a_pending_payment(repository, snapshot):
    record = begin(repository)

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


def test_begin_charge_again_on_pending_counts_an_attempt_and_keeps_the_payment_id(repository):
    begin(repository)

    again = begin(repository, payment_id="pay_2")

    assert (again.status, again.paymentId, again.attempts) == (PaymentStatus.PENDING, "pay_1", 2)


@pytest.mark.parametrize(("amount", "currency"), [(2599, "USD"), (2598, "EUR")])
def test_begin_charge_with_other_terms_is_rejected_unchanged(
    repository, snapshot, amount, currency
):
    begin(repository)
    before = snapshot()

    with pytest.raises(TransitionRejected) as rejected:
        begin(repository, amount=amount, currency=currency)

    assert rejected.value.current.amountCents == 2598
    assert snapshot() == before


def test_capture_only_from_pending_and_once(repository, snapshot):
    begin(repository)
    captured = repository.mark_captured("ord-1", "ch_1", LATER)
    assert (captured.status, captured.providerChargeId) == (PaymentStatus.CAPTURED, "ch_1")
    before = snapshot()

    with pytest.raises(TransitionRejected) as rejected:
        repository.mark_captured("ord-1", "ch_2", LATER)
    with pytest.raises(TransitionRejected):
        repository.mark_declined("ord-1", "generic_decline", LATER)
    with pytest.raises(TransitionRejected):
        begin(repository)

    assert rejected.value.current.providerChargeId == "ch_1"
    assert snapshot() == before


def test_decline_is_final(repository, snapshot):
    begin(repository)
    declined = repository.mark_declined("ord-1", "insufficient_funds", LATER)
    assert (declined.status, declined.declineCode) == (PaymentStatus.DECLINED, "insufficient_funds")
    before = snapshot()

    for transition in (
        lambda: begin(repository),
        lambda: repository.mark_captured("ord-1", "ch_1", LATER),
        lambda: repository.mark_refunded("ord-1", "re_1", LATER),
        lambda: repository.cancel("ord-1", LATER),
    ):
        with pytest.raises(TransitionRejected):
            transition()
    assert snapshot() == before


def test_refund_only_from_captured_and_once(repository, snapshot):
    with pytest.raises(TransitionRejected) as missing:
        repository.mark_refunded("ord-1", "re_1", LATER)
    assert missing.value.current is None
    assert snapshot() == {}

    begin(repository)
    repository.mark_captured("ord-1", "ch_1", LATER)
    refunded = repository.mark_refunded("ord-1", "re_1", LATER)
    assert (refunded.status, refunded.providerRefundId) == (PaymentStatus.REFUNDED, "re_1")
    before = snapshot()

    with pytest.raises(TransitionRejected):
        repository.mark_refunded("ord-1", "re_2", LATER)
    assert snapshot() == before


def test_cancel_without_a_record_leaves_a_tombstone_that_blocks_charges(repository, snapshot):
    tombstone = repository.cancel("ord-1", NOW)

    assert tombstone.status == PaymentStatus.CANCELLED
    assert snapshot()["PAYMENT#ord-1"]["status"] == "CANCELLED"
    before = snapshot()
    with pytest.raises(TransitionRejected) as rejected:
        begin(repository)
    assert rejected.value.current.status == PaymentStatus.CANCELLED
    assert snapshot() == before


def test_cancel_a_pending_payment_keeps_its_terms(repository):
    begin(repository)

    cancelled = repository.cancel("ord-1", LATER)

    assert (cancelled.status, cancelled.amountCents, cancelled.paymentId) == (
        PaymentStatus.CANCELLED,
        2598,
        "pay_1",
    )
    with pytest.raises(TransitionRejected):
        repository.mark_captured("ord-1", "ch_1", LATER)


def test_cancel_after_capture_is_rejected(repository, snapshot):
    begin(repository)
    repository.mark_captured("ord-1", "ch_1", LATER)
    before = snapshot()

    with pytest.raises(TransitionRejected):
        repository.cancel("ord-1", LATER)
    assert snapshot() == before


def test_late_charge_is_attached_and_refunded_once_on_a_cancelled_payment(repository, snapshot):
    begin(repository)
    with pytest.raises(TransitionRejected):  # not cancelled yet
        repository.attach_late_charge("ord-1", "ch_1", LATER)
    repository.cancel("ord-1", LATER)

    repository.attach_late_charge("ord-1", "ch_1", LATER)
    repository.attach_late_charge("ord-1", "ch_1", LATER)  # a retry is harmless
    with pytest.raises(TransitionRejected):
        repository.attach_late_charge("ord-1", "ch_other", LATER)
    refunded = repository.record_late_charge_refund("ord-1", "re_1", LATER)
    before = snapshot()
    with pytest.raises(TransitionRejected):
        repository.record_late_charge_refund("ord-1", "re_2", LATER)

    assert (refunded.status, refunded.providerChargeId, refunded.providerRefundId) == (
        PaymentStatus.CANCELLED,
        "ch_1",
        "re_1",
    )
    assert snapshot() == before


def test_get_reads_the_record(repository):
    assert repository.get("ord-1") is None
    begin(repository)
    assert repository.get("ord-1").amountCents == 2598
