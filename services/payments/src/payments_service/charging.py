"""Charging an order: the checkout saga's payment step. It authorizes the order's amount (the
customer's funds are held); CapturePayment (capturing.py) takes the money once the stock is
committed, and the compensation (refunding.py) cancels the hold or refunds the capture.

The token is read first, from the order's registration (registering.py) under the reference
the checkout carries, so a wrong reference writes nothing. The payment is written PENDING
before the provider is asked, so a crash leaves a trace and a retried task asks again under the
same provider key. A charge for an order whose payment is past PENDING answers from the record
(the first result, the first decline) without asking the provider again; an authorization the
provider made after the compensation cancelled the payment is cancelled at once.
Business events are counted once per order, not once per delivery, so a replayed task never
counts a payment twice.
"""

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import SecretStr

from payments_service.adapters.provider import CardDeclined, PaymentProvider, ProviderUnavailable
from payments_service.domain import (
    answer_repeated_charge,
    authorization_result,
    authorize_idempotency_key,
    decline_error,
    needs_late_release,
    new_payment_id,
    now,
)
from payments_service.errors import UnknownPaymentReference
from payments_service.models import ChargePaymentRequest, PaymentRecord, PaymentStatus
from payments_service.observability import logger, metrics
from payments_service.refunding import provider_unavailable, release_late_authorization
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

    logger.info("Authorizing", extra={"paymentId": pending.paymentId, "attempt": pending.attempts})
    try:
        authorization = provider.authorize(
            token.get_secret_value(),
            request.amountCents,
            request.currency,
            authorize_idempotency_key(order_id),
        )
    except CardDeclined as declined:
        try:
            payments.mark_declined(order_id, declined.decline_code, now())
        except TransitionRejected as rejected:  # the compensation cancelled it meanwhile
            return _repeat_charge(rejected.record, request, payments=payments, provider=provider)
        logger.info("Authorization declined", extra={"declineCode": declined.decline_code})
        metrics.add_metric(name="PaymentsDeclined", unit=MetricUnit.Count, value=1)
        # Metadata, not a dimension: decline codes would explode the metric count.
        metrics.add_metadata(key="declineCode", value=declined.decline_code)
        raise decline_error(declined.decline_code) from None
    except ProviderUnavailable as outage:
        raise provider_unavailable("authorize", outage) from None

    try:
        authorized = payments.mark_authorized(order_id, authorization.payment_id, now())
    except TransitionRejected as rejected:
        current = rejected.record
        if current.status == PaymentStatus.CANCELLED:
            # The compensation ran while the provider was authorizing: release the hold.
            logger.warning("Authorized after the payment was cancelled; cancelling it")
            current = payments.attach_late_authorization(order_id, authorization.payment_id, now())
        return _repeat_charge(current, request, payments=payments, provider=provider)

    logger.info("Payment authorized", extra={"paymentId": authorized.paymentId})
    metrics.add_metric(name="PaymentsAuthorized", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="paymentId", value=authorized.paymentId or "")
    return authorization_result(authorized)


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
    if needs_late_release(record):
        release_late_authorization(record, payments=payments, provider=provider)
    return answer_repeated_charge(record, request)
