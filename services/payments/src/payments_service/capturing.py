"""Capturing an order's payment: the checkout saga's step after CommitStock. It takes the
amount ChargePayment authorized, once: a repeated capture answers from the record, and one
meeting a payment the compensation already cancelled or refunded captures nothing.

The provider decides races: a capture and a cancel of the same authorization cannot both
succeed there, so whichever lost finds out from the provider (the capture: the authorization was
cancelled; the compensation: it was captured, and refunds instead).
"""

from aws_lambda_powertools.metrics import MetricUnit

from payments_service.adapters.provider import (
    AuthorizationCancelled,
    PaymentProvider,
    ProviderUnavailable,
)
from payments_service.domain import capture_idempotency_key, capture_result, now
from payments_service.errors import PaymentCancelled, PaymentNotAuthorized
from payments_service.models import CapturePaymentRequest, PaymentStatus
from payments_service.observability import logger, metrics
from payments_service.refunding import provider_unavailable
from payments_service.repository import PaymentRepository, TransitionRejected


def capture_payment(
    request: CapturePaymentRequest, *, payments: PaymentRepository, provider: PaymentProvider
) -> dict:
    order_id = request.orderId
    record = payments.payment(order_id)
    if record is None:
        raise PaymentNotAuthorized(f"order {order_id} has no payment to capture")
    if record.status == PaymentStatus.CAPTURED:
        return capture_result(record)
    if record.status in (PaymentStatus.CANCELLED, PaymentStatus.REFUNDED):
        raise PaymentCancelled(f"the payment of order {order_id} was cancelled or refunded")
    if (
        record.status != PaymentStatus.AUTHORIZED
        or record.providerPaymentId is None
        or record.amountCents is None
    ):
        raise PaymentNotAuthorized(f"the payment of order {order_id} is {record.status}")

    try:
        provider.capture(
            record.providerPaymentId, record.amountCents, capture_idempotency_key(order_id)
        )
    except AuthorizationCancelled:
        raise PaymentCancelled(f"the authorization of order {order_id} was cancelled") from None
    except ProviderUnavailable as outage:
        raise provider_unavailable("capture", outage) from None

    try:
        captured = payments.mark_captured(order_id, now())
    except TransitionRejected as rejected:
        if rejected.record.status == PaymentStatus.CAPTURED:  # a concurrent twin won
            return capture_result(rejected.record)
        # The compensation refunded it meanwhile (it found the capture at the provider).
        raise PaymentCancelled(f"the payment of order {order_id} was refunded") from None
    logger.info("Payment captured", extra={"paymentId": captured.paymentId})
    metrics.add_metric(name="PaymentsCaptured", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="paymentId", value=captured.paymentId or "")
    return capture_result(captured)
