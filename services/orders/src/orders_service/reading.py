"""Reading orders: one of a customer's orders by id, a customer's orders newest first, the
steps an order's checkout went through."""

from typing import Any

from orders_service import domain
from orders_service.adapters.workflow import CheckoutWorkflow
from orders_service.errors import OrderNotFound
from orders_service.repository import OrdersRepository


def get_order(order_id: str, customer_id: str, *, orders: OrdersRepository) -> dict[str, Any]:
    """Raises OrderNotFound for another customer's order exactly as for an unknown id: the
    answer must not tell a caller which order ids exist."""
    order = orders.get(order_id)
    if order["customerId"] != customer_id:
        raise OrderNotFound(f"order {order_id} not found")
    return domain.public_view(order)


def list_orders(
    customer_id: str, limit: int, next_token: str | None, *, orders: OrdersRepository
) -> dict[str, Any]:
    """{orders, nextToken}; raises InvalidPageToken for a token not issued for this listing."""
    items, token = orders.list_for_customer(customer_id, limit, next_token)
    return {"orders": [domain.public_view(o) for o in items], "nextToken": token}


def checkout_steps(
    order_id: str, customer_id: str, *, orders: OrdersRepository, workflow: CheckoutWorkflow
) -> dict[str, Any]:
    """{orderId, steps}: the checkout's task states so far; none before it started. Another
    customer's order is OrderNotFound, as in get_order."""
    get_order(order_id, customer_id, orders=orders)
    history = workflow.history(order_id)
    return {"orderId": order_id, "steps": domain.checkout_steps(history or [])}
