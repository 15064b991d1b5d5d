"""Refunding an order: the saga's compensation for a charge, and the refund of a charge that
the provider made after the payment was cancelled (which a charge delivery may meet too).

Refunds are counted once per order, not once per delivery: a replayed task adds no metric.
"""

from aws_lambda_powertools.metrics import MetricUnit

from payments_service.adapters.provider import PaymentProvider, ProviderRefund, ProviderUnavailable
from payments_service.domain import needs_late_charge_refund, now, refund_idempotency_key
from payments_service.errors import PaymentProviderUnavailable
from payments_service.models import PaymentRecord, PaymentStatus, RefundPaymentRequest
from payments_service.observability import logger, metrics
from payments_service.repository import PaymentRepository, TransitionRejected

NOTHING_TO_REFUND = {"status": "NOTHING_TO_REFUND"}
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
        logger.info("Nothing captured; payment cancelled so a late charge cannot capture")
        return NOTHING_TO_REFUND

    if record.status == PaymentStatus.REFUNDED:
        return REFUNDED
    if record.status == PaymentStatus.DECLINED:
        return NOTHING_TO_REFUND
    if record.status == PaymentStatus.CANCELLED:
        if needs_late_charge_refund(record):
            refund_late_charge(record, payments=payments, provider=provider)
        return NOTHING_TO_REFUND

    # CAPTURED: refund exactly what was captured. The provider key makes a retried or
    # concurrent refund return the same refund instead of a second one.
    refund = _refund_at_provider(record, provider)
    try:
        payments.mark_refunded(order_id, refund.refund_id, now())
    except TransitionRejected as rejected:
        if rejected.record.status == PaymentStatus.REFUNDED:  # a concurrent twin won
            return REFUNDED
        raise
    logger.info("Payment refunded", extra={"paymentId": record.paymentId})
    _count_refund(record, "compensation")
    return REFUNDED


def refund_late_charge(
    record: PaymentRecord, *, payments: PaymentRepository, provider: PaymentProvider
) -> None:
    """Gives back a charge the provider made after the payment was cancelled."""
    refund = _refund_at_provider(record, provider)
    try:
        payments.record_late_charge_refund(record.orderId, refund.refund_id, now())
    except TransitionRejected:
        return  # a concurrent twin recorded the same refund (same provider key)
    _count_refund(record, "late_charge")


def provider_unavailable(operation: str, outage: ProviderUnavailable) -> PaymentProviderUnavailable:
    """The error a provider outage during `operation` (charge or refund) ends a task with,
    logged and counted: the state machine retries it."""
    logger.warning("Payment provider unavailable", extra={"operation": operation})
    metrics.add_metric(name="ProviderUnavailable", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="operation", value=operation)
    return PaymentProviderUnavailable(f"payment provider unavailable during {operation}: {outage}")


def _refund_at_provider(record: PaymentRecord, provider: PaymentProvider) -> ProviderRefund:
    if record.providerChargeId is None or record.amountCents is None:
        raise RuntimeError(f"payment of order {record.orderId} has no charge to refund")
    try:
        return provider.refund(
            record.providerChargeId, record.amountCents, refund_idempotency_key(record.orderId)
        )
    except ProviderUnavailable as outage:
        raise provider_unavailable("refund", outage) from None


def _count_refund(record: PaymentRecord, reason: str) -> None:
    metrics.add_metric(name="RefundsIssued", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="paymentId", value=record.paymentId or "")
    metrics.add_metadata(key="reason", value=reason)
