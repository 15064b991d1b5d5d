"""Reading orders: one order by id, a customer's orders newest first."""

from typing import Any

from orders_service import domain
from orders_service.repository import OrdersRepository


def get_order(order_id: str, *, orders: OrdersRepository) -> dict[str, Any]:
    return domain.public_view(orders.get(order_id))


def list_orders(
    customer_id: str, limit: int, next_token: str | None, *, orders: OrdersRepository
) -> dict[str, Any]:
    """{orders, nextToken}; raises InvalidPageToken for a token not issued for this listing."""
    items, token = orders.list_for_customer(customer_id, limit, next_token)
    return {"orders": [domain.public_view(o) for o in items], "nextToken": token}
