"""Placing an order: price the cart, hand the payment token to the payments service, store the
order PENDING, start its checkout with the payments service's reference (never the token).

Runs once per customer and Idempotency-Key (the API handler wraps it in Powertools
idempotency); the order id is derived from the same pair, so even a replay that slips past the
idempotency record lands on the same order, and only the request that stored it starts its
checkout (Step Functions refuses a second Standard execution of the same name, but an
Express one would run).
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from orders_service import domain
from orders_service.adapters.payments import PaymentRegistration
from orders_service.adapters.pricing import InventoryPricing
from orders_service.adapters.workflow import CheckoutWorkflow
from orders_service.errors import CheckoutNotStarted
from orders_service.observability import logger, metrics
from orders_service.repository import OrdersRepository


def place_order(
    command: dict[str, Any],
    *,
    orders: OrdersRepository,
    pricing: InventoryPricing,
    payments: PaymentRegistration,
    workflow: CheckoutWorkflow,
    reconcile_after_seconds: int,
) -> dict[str, Any]:
    """`command`: {customerId, email, idempotencyKey, request: the validated CreateOrderRequest};
    the customer and their verified email come from the ID token, never from the request.

    The order is due for the reconciler `reconcile_after_seconds` after it is placed, unless
    its checkout records an outcome first.
    """
    request = command["request"]
    order_id = domain.order_id_for(command["customerId"], command["idempotencyKey"])
    logger.append_keys(order_id=order_id)
    quote = pricing.quote([{"sku": i["sku"], "quantity": i["quantity"]} for i in request["items"]])
    # Before the order is stored: if payments cannot take the token, nothing is written here and
    # the client's retry (same Idempotency-Key) places the order afresh.
    payment_reference = payments.register(order_id, request["paymentToken"])
    order, created = orders.create(
        domain.new_order(
            order_id,
            command["customerId"],
            command["email"],
            quote,
            domain.now(),
            reconcile_after_seconds,
        )
    )
    if not created:
        # A replay (its idempotency record expired, or its first run was cut off): the request
        # that stored the order started its checkout. Express workflows do not deduplicate
        # execution names, so starting again could run a second checkout for the same order.
        # A request cut off between the two writes leaves the order to the reconciler.
        return domain.public_view(order)
    try:
        workflow.start(order_id, domain.checkout_input(order, payment_reference))
    except CheckoutNotStarted:
        # Never leave an order PENDING with no workflow to finish it.
        orders.update_status(order_id, domain.FAILED, "CheckoutNotStarted", domain.now())
        raise
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    return domain.public_view(order)
