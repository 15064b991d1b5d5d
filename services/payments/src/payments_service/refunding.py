"""Giving an order's money back: the saga's compensation for the payment (RefundPayment). What
it does depends on how far the payment got: nothing was authorized (it leaves a tombstone, so a
late authorization cannot stand), an authorization (it cancels the hold: nothing was taken, no
refund and no fee), or a capture (it refunds the captured amount). An authorization the provider
made after the tombstone is cancelled by whichever task meets it first (a charge or this).

Each provider call carries the order's key for that step, so a retried or duplicated task
repeats the first call. Business events are counted once per order, not once per delivery.
"""

from aws_lambda_powertools.metrics import MetricUnit

from payments_service.adapters.provider import (
    AlreadyCaptured,
    PaymentProvider,
    ProviderRefund,
    ProviderUnavailable,
)
from payments_service.domain import (
    cancel_idempotency_key,
    needs_late_release,
    now,
    refund_idempotency_key,
)
from payments_service.errors import PaymentProviderUnavailable
from payments_service.models import PaymentRecord, PaymentStatus, RefundPaymentRequest
from payments_service.observability import logger, metrics
from payments_service.repository import PaymentRepository, TransitionRejected

NOTHING_TO_REFUND = {"status": "NOTHING_TO_REFUND"}
CANCELLED = {"status": "CANCELLED"}  # the authorization was cancelled: nothing was taken
REFUNDED = {"status": "REFUNDED"}


def refund_payment(
    request: RefundPaymentRequest, *, payments: PaymentRepository, provider: PaymentProvider
) -> dict:
    order_id = request.orderId
    try:
        payments.cancel(order_id, now())
    except TransitionRejected as rejected:
        record = rejected.record
    else:
        logger.info("Nothing authorized; payment cancelled so a late authorization cannot stand")
        return NOTHING_TO_REFUND

    match record.status:
        case PaymentStatus.REFUNDED:
            return REFUNDED
        case PaymentStatus.DECLINED:
            return NOTHING_TO_REFUND
        case PaymentStatus.CANCELLED:
            if needs_late_release(record):
                release_late_authorization(record, payments=payments, provider=provider)
                return CANCELLED
            return CANCELLED if record.authorizationCancelledAt else NOTHING_TO_REFUND
        case PaymentStatus.AUTHORIZED:
            return _cancel_authorization(record, payments=payments, provider=provider)
        case _:  # CAPTURED
            return _refund(record, payments=payments, provider=provider)


def release_late_authorization(
    record: PaymentRecord, *, payments: PaymentRepository, provider: PaymentProvider
) -> None:
    """Cancels an authorization the provider made after the payment was cancelled."""
    _cancel_at_provider(record, provider)  # never captured: the record was never AUTHORIZED
    try:
        payments.record_late_release(record.orderId, now())
    except TransitionRejected:
        return  # a concurrent twin recorded the same cancel (same provider key)
    metrics.add_metric(name="AuthorizationsCancelled", unit=MetricUnit.Count, value=1)
    _add_metadata(record, "late_authorization")


def provider_unavailable(operation: str, outage: ProviderUnavailable) -> PaymentProviderUnavailable:
    """The error a provider outage during `operation` (authorize, capture, cancel, refund) ends
    a task with, logged and counted: the state machine retries it."""
    logger.warning("Payment provider unavailable", extra={"operation": operation})
    metrics.add_metric(name="ProviderUnavailable", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="operation", value=operation)
    return PaymentProviderUnavailable(f"payment provider unavailable during {operation}: {outage}")


def _cancel_authorization(
    record: PaymentRecord, *, payments: PaymentRepository, provider: PaymentProvider
) -> dict:
    try:
        _cancel_at_provider(record, provider)
    except AlreadyCaptured:
        # The capture reached the provider but its task failed before recording it.
        logger.warning("Authorization already captured; refunding it")
        return _refund(record, payments=payments, provider=provider)
    try:
        payments.mark_authorization_cancelled(record.orderId, now())
    except TransitionRejected as rejected:
        if rejected.record.status == PaymentStatus.CANCELLED:  # a concurrent twin won
            return CANCELLED
        raise
    logger.info("Authorization cancelled", extra={"paymentId": record.paymentId})
    metrics.add_metric(name="AuthorizationsCancelled", unit=MetricUnit.Count, value=1)
    _add_metadata(record, "compensation")
    return CANCELLED


def _refund(
    record: PaymentRecord, *, payments: PaymentRepository, provider: PaymentProvider
) -> dict:
    # Exactly what was authorized (and captured). The provider key makes a retried or
    # concurrent refund return the same refund instead of a second one.
    refund = _refund_at_provider(record, provider)
    try:
        payments.mark_refunded(record.orderId, refund.refund_id, now())
    except TransitionRejected as rejected:
        if rejected.record.status == PaymentStatus.REFUNDED:  # a concurrent twin won
            return REFUNDED
        raise
    logger.info("Payment refunded", extra={"paymentId": record.paymentId})
    metrics.add_metric(name="RefundsIssued", unit=MetricUnit.Count, value=1)
    _add_metadata(record, "compensation")
    return REFUNDED


def _cancel_at_provider(record: PaymentRecord, provider: PaymentProvider) -> None:
    if record.providerPaymentId is None:
        raise RuntimeError(f"payment of order {record.orderId} has no authorization to cancel")
    try:
        provider.cancel(record.providerPaymentId, cancel_idempotency_key(record.orderId))
    except ProviderUnavailable as outage:
        raise provider_unavailable("cancel", outage) from None


def _refund_at_provider(record: PaymentRecord, provider: PaymentProvider) -> ProviderRefund:
    if record.providerPaymentId is None or record.amountCents is None:
        raise RuntimeError(f"payment of order {record.orderId} has no capture to refund")
    try:
        return provider.refund(
            record.providerPaymentId, record.amountCents, refund_idempotency_key(record.orderId)
        )
    except ProviderUnavailable as outage:
        raise provider_unavailable("refund", outage) from None


def _add_metadata(record: PaymentRecord, reason: str) -> None:
    """Beside a business metric: which payment, and why (metadata, not dimensions)."""
    metrics.add_metadata(key="paymentId", value=record.paymentId or "")
    metrics.add_metadata(key="reason", value=reason)
