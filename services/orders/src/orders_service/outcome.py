"""Recording a checkout's outcome on its order (the state machine's ConfirmOrder and
MarkOrderFailed steps)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from orders_service import domain
from orders_service.models import OrderStatusUpdate
from orders_service.observability import metrics
from orders_service.repository import OrdersRepository


def record_outcome(update: OrderStatusUpdate, *, orders: OrdersRepository) -> dict[str, Any]:
    """PENDING -> CONFIRMED | FAILED (with the reason), once; a repeated update is a no-op.

    With `reconcile`, the order is FAILED and due for the reconciler now.
    """
    if update.reconcile:
        order = orders.flag_for_reconciliation(update.orderId, update.reason, domain.now())
        metrics.add_metric(name="OrdersFlaggedForReconciliation", unit=MetricUnit.Count, value=1)
        return {"orderId": order["orderId"], "status": order["status"]}
    order = orders.update_status(update.orderId, update.status, update.reason, domain.now())
    if update.status == domain.CONFIRMED:
        metrics.add_metric(name="OrdersConfirmed", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metadata(key="reason", value=update.reason)
        metrics.add_metric(name="OrdersFailed", unit=MetricUnit.Count, value=1)
    return {"orderId": order["orderId"], "status": order["status"]}
