"""Payment rules and the charge/refund use cases.

No AWS calls here: the repository and the provider are passed in, and business events go to
an `observe(name, details)` callback the handler turns into metrics. Each event is observed
once per order, not once per delivery, so a replayed task never counts a payment twice.

Record lifecycle (`PAYMENT#<orderId>`):
    (none) -> PENDING -> CAPTURED -> REFUNDED
                      -> DECLINED
    (none) | PENDING -> CANCELLED   (a refund ran before anything was captured)
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from payments_service.errors import (
    InsufficientFunds,
    PaymentCancelled,
    PaymentConflict,
    PaymentDeclined,
    PaymentProviderUnavailable,
)
from payments_service.models import ChargePaymentRequest, PaymentRecord, PaymentStatus
from payments_service.provider import (
    CardDeclined,
    PaymentProvider,
    ProviderRefund,
    ProviderUnavailable,
)

if TYPE_CHECKING:
    from payments_service.repository import PaymentRepository

logger = Logger(child=True)

Observe = Callable[[str, dict[str, str]], None]

NOTHING_TO_REFUND = {"status": "NOTHING_TO_REFUND"}
REFUNDED = {"status": "REFUNDED"}


class TransitionRejected(Exception):
    """A guarded write found the record in another state; `current` is that record (None if
    there was none)."""

    def __init__(self, current: PaymentRecord | None) -> None:
        super().__init__(f"payment is {current.status if current else 'missing'}")
        self.current = current


def now() -> str:
    return datetime.now(UTC).isoformat()


def new_payment_id() -> str:
    return f"pay_{uuid.uuid4().hex}"


def charge_idempotency_key(order_id: str) -> str:
    return f"{order_id}:charge"


def refund_idempotency_key(order_id: str) -> str:
    return f"{order_id}:refund"


def decline_error(decline_code: str) -> PaymentDeclined:
    if decline_code == "insufficient_funds":
        return InsufficientFunds(decline_code)
    return PaymentDeclined(decline_code)


def charge_result(record: PaymentRecord) -> dict:
    return {"paymentId": record.paymentId, "status": PaymentStatus.CAPTURED.value}


def answer_repeated_charge(record: PaymentRecord, request: ChargePaymentRequest) -> dict:
    """What a charge for an order whose payment is already past PENDING returns, without asking
    the provider again: the first result, the first decline, or why it cannot capture."""
    if record.status in (PaymentStatus.CANCELLED, PaymentStatus.REFUNDED):
        raise PaymentCancelled(f"the payment of order {record.orderId} was cancelled or refunded")
    if (record.amountCents, record.currency) != (request.amountCents, request.currency):
        raise PaymentConflict(
            f"order {record.orderId} already has a payment of {record.amountCents} "
            f"{record.currency}; refusing {request.amountCents} {request.currency}"
        )
    if record.status == PaymentStatus.CAPTURED:
        return charge_result(record)
    if record.status == PaymentStatus.DECLINED:
        raise decline_error(record.declineCode or "generic_decline")
    raise PaymentConflict(f"order {record.orderId} has a payment in state {record.status}")


def needs_late_charge_refund(record: PaymentRecord) -> bool:
    """A charge succeeded at the provider after the payment was cancelled and was not refunded."""
    return (
        record.status == PaymentStatus.CANCELLED
        and record.providerChargeId is not None
        and record.providerRefundId is None
    )


def charge_payment(
    request: ChargePaymentRequest,
    repository: "PaymentRepository",
    provider: PaymentProvider,
    observe: Observe,
) -> dict:
    order_id = request.orderId
    try:
        pending = repository.begin_charge(
            order_id, new_payment_id(), request.amountCents, request.currency, now()
        )
    except TransitionRejected as rejected:
        return _repeat_charge(_existing(rejected), request, repository, provider, observe)

    token = request.paymentToken.get_secret_value()
    logger.info(
        "Charging",
        extra={
            "paymentId": pending.paymentId,
            "attempt": pending.attempts,
            "tokenLast4": token[-4:],
        },
    )
    try:
        charge = provider.charge(
            token, request.amountCents, request.currency, charge_idempotency_key(order_id)
        )
    except CardDeclined as declined:
        try:
            repository.mark_declined(order_id, declined.decline_code, now())
        except TransitionRejected as rejected:  # a refund cancelled it meanwhile
            return _repeat_charge(_existing(rejected), request, repository, provider, observe)
        logger.info("Charge declined", extra={"declineCode": declined.decline_code})
        observe("PaymentsDeclined", {"declineCode": declined.decline_code})
        raise decline_error(declined.decline_code) from None
    except ProviderUnavailable as outage:
        raise _provider_unavailable("charge", outage, observe) from None

    try:
        captured = repository.mark_captured(order_id, charge.charge_id, now())
    except TransitionRejected as rejected:
        current = _existing(rejected)
        if current.status == PaymentStatus.CANCELLED:
            # The refund task ran while the provider was charging: give the money back.
            logger.warning("Charge succeeded after the payment was cancelled; refunding it")
            current = repository.attach_late_charge(order_id, charge.charge_id, now())
        return _repeat_charge(current, request, repository, provider, observe)

    logger.info("Payment captured", extra={"paymentId": captured.paymentId})
    observe("PaymentsCaptured", {"paymentId": captured.paymentId or ""})
    return charge_result(captured)


def refund_payment(
    order_id: str,
    repository: "PaymentRepository",
    provider: PaymentProvider,
    observe: Observe,
) -> dict:
    try:
        repository.cancel(order_id, now())
    except TransitionRejected as rejected:
        record = _existing(rejected)
    else:
        logger.info("Nothing captured; payment cancelled so a late charge cannot capture")
        return NOTHING_TO_REFUND

    if record.status == PaymentStatus.REFUNDED:
        return REFUNDED
    if record.status == PaymentStatus.DECLINED:
        return NOTHING_TO_REFUND
    if record.status == PaymentStatus.CANCELLED:
        if needs_late_charge_refund(record):
            _refund_late_charge(record, repository, provider, observe)
        return NOTHING_TO_REFUND

    # CAPTURED: refund exactly what was captured. The provider key makes a retried or
    # concurrent refund return the same refund instead of a second one.
    refund = _provider_refund(record, provider, observe)
    try:
        repository.mark_refunded(order_id, refund.refund_id, now())
    except TransitionRejected as rejected:
        if _existing(rejected).status == PaymentStatus.REFUNDED:  # a concurrent twin won
            return REFUNDED
        raise
    logger.info("Payment refunded", extra={"paymentId": record.paymentId})
    observe("RefundsIssued", {"paymentId": record.paymentId or "", "reason": "compensation"})
    return REFUNDED


def _repeat_charge(
    record: PaymentRecord,
    request: ChargePaymentRequest,
    repository: "PaymentRepository",
    provider: PaymentProvider,
    observe: Observe,
) -> dict:
    if needs_late_charge_refund(record):
        _refund_late_charge(record, repository, provider, observe)
    return answer_repeated_charge(record, request)


def _refund_late_charge(
    record: PaymentRecord,
    repository: "PaymentRepository",
    provider: PaymentProvider,
    observe: Observe,
) -> None:
    refund = _provider_refund(record, provider, observe)
    try:
        repository.record_late_charge_refund(record.orderId, refund.refund_id, now())
    except TransitionRejected:
        return  # a concurrent twin recorded the same refund (same provider key)
    observe("RefundsIssued", {"paymentId": record.paymentId or "", "reason": "late_charge"})


def _provider_refund(
    record: PaymentRecord, provider: PaymentProvider, observe: Observe
) -> ProviderRefund:
    if record.providerChargeId is None or record.amountCents is None:
        raise RuntimeError(f"payment of order {record.orderId} has no charge to refund")
    try:
        return provider.refund(
            record.providerChargeId, record.amountCents, refund_idempotency_key(record.orderId)
        )
    except ProviderUnavailable as outage:
        raise _provider_unavailable("refund", outage, observe) from None


def _provider_unavailable(
    operation: str, outage: ProviderUnavailable, observe: Observe
) -> PaymentProviderUnavailable:
    logger.warning("Payment provider unavailable", extra={"operation": operation})
    observe("ProviderUnavailable", {"operation": operation})
    return PaymentProviderUnavailable(f"payment provider unavailable during {operation}: {outage}")


def _existing(rejected: TransitionRejected) -> PaymentRecord:
    if rejected.current is None:  # only a manual delete can get here
        raise RuntimeError("payment record vanished during a transition") from rejected
    return rejected.current
