"""Registering an order's payment: the orders API hands the provider token over once, when the
order is placed, and gets back a reference that the checkout carries instead of the token.

The token stays in this service's table (`PAYMENTREF#<orderId>`) until the charge reads it, so
no execution input, history, event or alert ever holds it. Registering the same order again
answers the first reference and keeps the first token.
"""

from payments_service.domain import now, payment_reference_for
from payments_service.models import RegisteredPayment, RegisterPaymentRequest
from payments_service.observability import logger
from payments_service.repository import PaymentRepository


def register_payment(request: RegisterPaymentRequest, *, payments: PaymentRepository) -> dict:
    registered = payments.register(
        RegisteredPayment(
            orderId=request.orderId,
            paymentReference=payment_reference_for(request.orderId),
            paymentToken=request.paymentToken,
            registeredAt=now(),
        )
    )
    logger.info("Payment registered", extra={"paymentReference": registered.paymentReference})
    return {"paymentReference": registered.paymentReference}
