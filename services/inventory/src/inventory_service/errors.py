"""The inventory service's errors. A task handler lets them out, so the class name is the ASL
error name (Lambda errorType); the catalog API answers ProductNotFound with 404."""

from collections.abc import Iterable


class InventoryError(Exception):
    """Base class for the inventory business errors."""


class ProductNotFound(InventoryError):
    def __init__(self, sku: str) -> None:
        self.sku = sku
        super().__init__(f"product {sku} not found")


class UnknownSku(InventoryError):
    def __init__(self, skus: Iterable[str]) -> None:
        self.skus = tuple(skus)
        super().__init__(f"unknown sku(s): {', '.join(self.skus)}")


class OutOfStock(InventoryError):
    def __init__(self, skus: Iterable[str]) -> None:
        self.skus = tuple(skus)
        super().__init__(f"insufficient stock for sku(s): {', '.join(self.skus)}")


class ReservationNotFound(InventoryError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"no stock reservation for order {order_id}")


class ReservationReleased(InventoryError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"stock reservation for order {order_id} was already released")


# The name is the one the state machine Retry lists (not an *Error suffix on purpose).
class TransactionConflictException(Exception):
    """Transient: another transaction touched the same items at the same moment.

    DynamoDB reports this inside a TransactionCanceledException (reason TransactionConflict);
    it is re-raised under the name the state machine retries.
    """


class NotARestApiEvent(Exception):
    """The function was invoked with something other than an API Gateway REST API proxy event
    (an HTTP API v2 payload, an ALB request, a queue message...): it serves only that API."""

    def __init__(self) -> None:
        super().__init__(
            "this function serves API Gateway REST API proxy events only (httpMethod, path and "
            "requestContext.resourcePath); HTTP API (v2), ALB and other events are refused"
        )
