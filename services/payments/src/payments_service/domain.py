"""Payment rules: plain functions on the payment record and the charge request, no I/O.

Record lifecycle (`PAYMENT#<orderId>`):
    (none) -> PENDING -> AUTHORIZED -> CAPTURED -> REFUNDED
                      -> DECLINED
    (none) | PENDING | AUTHORIZED -> CANCELLED   (the compensation ran before any capture)
    AUTHORIZED -> REFUNDED   (the compensation met a capture the record had not seen)
"""

import uuid
from datetime import UTC, datetime

from payments_service.errors import (
    InsufficientFunds,
    PaymentCancelled,
    PaymentConflict,
    PaymentDeclined,
)
from payments_service.models import ChargePaymentRequest, PaymentRecord, PaymentStatus


def now() -> str:
    """The service's one clock: UTC, ISO 8601, milliseconds (sortable as a string)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_payment_id() -> str:
    return f"pay_{uuid.uuid4().hex}"


# Fixed namespace: an order's payment reference is derived from its id, so registering the same
# order again answers the same reference without reading anything first.
_PAYMENT_REFERENCE_NAMESPACE = uuid.UUID("0b7e3c52-94d1-4f6a-8a3e-2c5d7f1b9e60")


def payment_reference_for(order_id: str) -> str:
    """The reference other services hold for an order's payment, in place of its token. Opaque to
    them: a later provider may name its own object here (a payment intent), so only this
    service reads meaning into it."""
    return f"payref_{uuid.uuid5(_PAYMENT_REFERENCE_NAMESPACE, order_id).hex}"


# The provider's idempotency key of each call: one per order and step, so a retried or duplicated
# task repeats the first call instead of authorizing, capturing or refunding twice.
def authorize_idempotency_key(order_id: str) -> str:
    return f"{order_id}:authorize"


def capture_idempotency_key(order_id: str) -> str:
    return f"{order_id}:capture"


def cancel_idempotency_key(order_id: str) -> str:
    return f"{order_id}:cancel"


def refund_idempotency_key(order_id: str) -> str:
    return f"{order_id}:refund"


def decline_error(decline_code: str) -> PaymentDeclined:
    if decline_code == "insufficient_funds":
        return InsufficientFunds(decline_code)
    return PaymentDeclined(decline_code)


def authorization_result(record: PaymentRecord) -> dict:
    return {"paymentId": record.paymentId, "status": PaymentStatus.AUTHORIZED.value}


def capture_result(record: PaymentRecord) -> dict:
    return {"paymentId": record.paymentId, "status": PaymentStatus.CAPTURED.value}


def answer_repeated_charge(record: PaymentRecord, request: ChargePaymentRequest) -> dict:
    """What a charge for an order whose payment is already past PENDING returns, without asking
    the provider again: the first result, the first decline, or why it cannot authorize."""
    if record.status in (PaymentStatus.CANCELLED, PaymentStatus.REFUNDED):
        raise PaymentCancelled(f"the payment of order {record.orderId} was cancelled or refunded")
    if (record.amountCents, record.currency) != (request.amountCents, request.currency):
        raise PaymentConflict(
            f"order {record.orderId} already has a payment of {record.amountCents} "
            f"{record.currency}; refusing {request.amountCents} {request.currency}"
        )
    if record.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
        return authorization_result(record)
    if record.status == PaymentStatus.DECLINED:
        raise decline_error(record.declineCode or "generic_decline")
    raise PaymentConflict(f"order {record.orderId} has a payment in state {record.status}")


def needs_late_release(record: PaymentRecord) -> bool:
    """An authorization succeeded at the provider after the payment was cancelled, and its hold
    was not released yet."""
    return (
        record.status == PaymentStatus.CANCELLED
        and record.providerPaymentId is not None
        and record.authorizationCancelledAt is None
    )
