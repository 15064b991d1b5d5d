"""Charging an order: the checkout saga's payment step.

The token is read first, from the order's registration (registering.py) under the reference
the checkout carries, so a wrong reference writes nothing. The payment is written PENDING
before the provider is asked, so a crash leaves a trace and a retried task asks again under the
same provider key. A charge for an order whose payment is
past PENDING answers from the record (the first result, the first decline) without asking the
provider again; a charge the provider made after a refund cancelled the payment is refunded.
Business events are counted once per order, not once per delivery, so a replayed task never
counts a payment twice.
"""

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import SecretStr

from payments_service.adapters.provider import CardDeclined, PaymentProvider, ProviderUnavailable
from payments_service.domain import (
    answer_repeated_charge,
    charge_idempotency_key,
    charge_result,
    decline_error,
    needs_late_charge_refund,
    new_payment_id,
    now,
)
from payments_service.errors import UnknownPaymentReference
from payments_service.models import ChargePaymentRequest, PaymentRecord, PaymentStatus
from payments_service.observability import logger, metrics
from payments_service.refunding import provider_unavailable, refund_late_charge
from payments_service.repository import PaymentRepository, TransitionRejected


def charge_payment(
    request: ChargePaymentRequest, *, payments: PaymentRepository, provider: PaymentProvider
) -> dict:
    order_id = request.orderId
    token = _registered_token(request, payments)
    try:
        pending = payments.begin_charge(
            order_id, new_payment_id(), request.amountCents, request.currency, now()
        )
    except TransitionRejected as rejected:
        return _repeat_charge(rejected.record, request, payments=payments, provider=provider)

    logger.info("Charging", extra={"paymentId": pending.paymentId, "attempt": pending.attempts})
    try:
        charge = provider.charge(
            token.get_secret_value(),
            request.amountCents,
            request.currency,
            charge_idempotency_key(order_id),
        )
    except CardDeclined as declined:
        try:
            payments.mark_declined(order_id, declined.decline_code, now())
        except TransitionRejected as rejected:  # a refund cancelled it meanwhile
            return _repeat_charge(rejected.record, request, payments=payments, provider=provider)
        logger.info("Charge declined", extra={"declineCode": declined.decline_code})
        metrics.add_metric(name="PaymentsDeclined", unit=MetricUnit.Count, value=1)
        # Metadata, not a dimension: decline codes would explode the metric count.
        metrics.add_metadata(key="declineCode", value=declined.decline_code)
        raise decline_error(declined.decline_code) from None
    except ProviderUnavailable as outage:
        raise provider_unavailable("charge", outage) from None

    try:
        captured = payments.mark_captured(order_id, charge.charge_id, now())
    except TransitionRejected as rejected:
        current = rejected.record
        if current.status == PaymentStatus.CANCELLED:
            # The refund task ran while the provider was charging: give the money back.
            logger.warning("Charge succeeded after the payment was cancelled; refunding it")
            current = payments.attach_late_charge(order_id, charge.charge_id, now())
        return _repeat_charge(current, request, payments=payments, provider=provider)

    logger.info("Payment captured", extra={"paymentId": captured.paymentId})
    metrics.add_metric(name="PaymentsCaptured", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="paymentId", value=captured.paymentId or "")
    return charge_result(captured)


def _registered_token(request: ChargePaymentRequest, payments: PaymentRepository) -> SecretStr:
    """The token registered for the order under the reference the checkout carries."""
    registered = payments.registered(request.orderId)
    if registered is None or registered.paymentReference != request.paymentReference:
        raise UnknownPaymentReference(
            f"no payment of order {request.orderId} is registered under that reference"
        )
    return registered.paymentToken


def _repeat_charge(
    record: PaymentRecord,
    request: ChargePaymentRequest,
    *,
    payments: PaymentRepository,
    provider: PaymentProvider,
) -> dict:
    if needs_late_charge_refund(record):
        refund_late_charge(record, payments=payments, provider=provider)
    return answer_repeated_charge(record, request)
