"""The workflow task that records a checkout's outcome, driven by events/orders samples."""

import boto3
import pytest
from pydantic import ValidationError

from orders_service import domain
from orders_service.errors import InvalidStatusTransition, OrderNotFound
from orders_service.repository import OrdersRepository
from tests.support.events import load_event

ORDER_ID = load_event("orders/update-order-status-confirmed.json")["orderId"]


@pytest.fixture
def pending_order(aws):
    quote = {
        "currency": "USD",
        "amountCents": 1299,
        "items": [{"sku": "SKU-TSHIRT-BLK-M", "quantity": 1, "unitPriceCents": 1299}],
    }
    order = domain.new_order(ORDER_ID, "cust-0001", "ada@example.com", quote, domain.now(), 900)
    OrdersRepository(boto3.client("dynamodb"), aws["table"].name).create(order)
    return order


def stored(aws):
    return OrdersRepository(boto3.client("dynamodb"), aws["table"].name).get(ORDER_ID)


def test_confirms_a_pending_order(update_order_status, aws, pending_order, context):
    result = update_order_status.handler(
        load_event("orders/update-order-status-confirmed.json"), context
    )
    assert result == {"orderId": ORDER_ID, "status": "CONFIRMED"}
    assert stored(aws)["status"] == "CONFIRMED"


def test_fails_a_pending_order_with_its_reason(update_order_status, aws, pending_order, context):
    update_order_status.handler(load_event("orders/update-order-status-failed.json"), context)
    assert stored(aws)["status"] == "FAILED"
    assert stored(aws)["reason"] == "PaymentDeclined"


def test_a_redelivered_update_is_a_no_op(update_order_status, aws, pending_order, context):
    event = load_event("orders/update-order-status-confirmed.json")
    update_order_status.handler(event, context)
    assert update_order_status.handler(event, context)["status"] == "CONFIRMED"


def test_a_confirmed_order_whose_sale_the_checkout_undid_is_failed(
    update_order_status, aws, pending_order, context
):
    """ConfirmOrder's write landed but its task failed (a crash after the write, then retries
    used up): the checkout refunded and released, then marks the order FAILED. Refusing that
    left the order CONFIRMED with no money and no stock behind it."""
    update_order_status.handler(load_event("orders/update-order-status-confirmed.json"), context)

    result = update_order_status.handler(
        load_event("orders/update-order-status-failed.json"), context
    )

    assert result == {"orderId": ORDER_ID, "status": "FAILED"}
    assert stored(aws)["status"] == "FAILED" and stored(aws)["reason"] == "PaymentDeclined"


def test_a_failed_order_cannot_be_confirmed(update_order_status, aws, pending_order, context):
    update_order_status.handler(load_event("orders/update-order-status-failed.json"), context)
    with pytest.raises(InvalidStatusTransition):
        update_order_status.handler(
            load_event("orders/update-order-status-confirmed.json"), context
        )
    assert stored(aws)["status"] == "FAILED"


def test_unknown_order_is_order_not_found_and_creates_nothing(update_order_status, aws, context):
    with pytest.raises(OrderNotFound):
        update_order_status.handler(
            load_event("orders/update-order-status-confirmed.json"), context
        )
    assert aws["table"].scan()["Items"] == []


def test_an_unknown_status_is_rejected(update_order_status, aws, pending_order, context):
    with pytest.raises(ValidationError):
        update_order_status.handler({"orderId": ORDER_ID, "status": "SHIPPED"}, context)
    assert stored(aws)["status"] == "PENDING"


def test_recording_an_outcome_takes_the_order_off_the_reconcilers_list(
    update_order_status, aws, pending_order, context
):
    assert domain.is_due_for_reconciliation(stored_with_internals(aws))
    update_order_status.handler(load_event("orders/update-order-status-confirmed.json"), context)
    assert not domain.is_due_for_reconciliation(stored_with_internals(aws))


def test_a_flagged_order_is_failed_and_due_for_the_reconciler_now(
    update_order_status, aws, pending_order, context
):
    result = update_order_status.handler(
        load_event("orders/update-order-status-reconcile.json"), context
    )

    assert result == {"orderId": ORDER_ID, "status": "FAILED"}
    order = stored_with_internals(aws)
    assert order["reason"] == "PaymentProviderUnavailable"
    assert order["reconcileAt"] <= domain.now()


def test_flagging_keeps_the_first_reason_of_an_order_already_failed(
    update_order_status, aws, pending_order, context
):
    update_order_status.handler(load_event("orders/update-order-status-failed.json"), context)
    update_order_status.handler(load_event("orders/update-order-status-reconcile.json"), context)

    order = stored_with_internals(aws)
    assert order["reason"] == "PaymentDeclined" and domain.is_due_for_reconciliation(order)


def test_a_confirmed_order_whose_undoing_did_not_complete_is_flagged_failed(
    update_order_status, aws, pending_order, context
):
    """ConfirmOrder's write landed, its task failed, and a compensation did not complete: the
    order is handed to the reconciler FAILED, not left CONFIRMED for a sale being undone."""
    update_order_status.handler(load_event("orders/update-order-status-confirmed.json"), context)

    update_order_status.handler(load_event("orders/update-order-status-reconcile.json"), context)

    order = stored_with_internals(aws)
    assert order["status"] == "FAILED" and domain.is_due_for_reconciliation(order)


def test_only_a_failed_order_is_handed_to_the_reconciler(
    update_order_status, aws, pending_order, context
):
    event = {**load_event("orders/update-order-status-reconcile.json"), "status": "CONFIRMED"}
    with pytest.raises(ValidationError):
        update_order_status.handler(event, context)
    assert stored(aws)["status"] == "PENDING"


def stored_with_internals(aws):
    return OrdersRepository(boto3.client("dynamodb"), aws["table"].name).find(ORDER_ID)


@pytest.mark.parametrize("order_id", ["o\u00001", "o 1", "ö-1", "o" * 65])
def test_an_order_id_that_is_not_an_identifier_is_rejected_and_changes_nothing(
    update_order_status, aws, pending_order, context, order_id
):
    before = aws["table"].scan()["Items"]
    with pytest.raises(ValidationError, match="orderId"):
        update_order_status.handler({"orderId": order_id, "status": "FAILED"}, context)
    assert aws["table"].scan()["Items"] == before
