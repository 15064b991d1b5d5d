"""Reconciling: nothing stays stuck. An order whose checkout cannot finish by itself is driven
to a terminal state, with everything done for it undone.

An order is due when it is still PENDING past the workflow's worst-case duration, or when its
checkout flagged it (FlagOrderForReconciliation: a compensation did not complete). It is looked
at again when its execution ends FAILED, TIMED_OUT or ABORTED (on AWS, from Step Functions'
status-change events). For a due order whose execution is not running (or ran past the bound
and is stopped), the reconciler runs the compensations again (the payment given back: its
authorization cancelled or its capture refunded; then the stock released), fails a
PENDING order and publishes its OrderFailed, and takes it off the due list. Every step is
idempotent, so a crash anywhere means the next run repeats it; until then the order stays due.
"""

from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from orders_service import domain
from orders_service.adapters.compensations import CheckoutCompensations
from orders_service.adapters.outcomes import OutcomeEvents
from orders_service.adapters.workflow import CheckoutWorkflow
from orders_service.observability import logger, metrics
from orders_service.repository import OrdersRepository

# Outcomes of looking at one order.
NOT_FOUND = "NOT_FOUND"
SETTLED = "SETTLED"  # terminal and not due: the checkout finished it
STILL_RUNNING = "STILL_RUNNING"  # within the worst-case duration: not ours yet
RECONCILED = "RECONCILED"


@dataclass
class SweepReport:
    outcomes: dict[str, str] = field(default_factory=dict)  # order id -> outcome
    errors: dict[str, str] = field(default_factory=dict)  # order id -> what failed


def reconcile_order(
    order_id: str,
    *,
    orders: OrdersRepository,
    workflow: CheckoutWorkflow,
    compensations: CheckoutCompensations,
    outcomes: OutcomeEvents,
) -> str:
    """Look at one order; raises when a step fails (the order then stays due)."""
    order = orders.find(order_id)
    if order is None:
        return NOT_FOUND
    now = domain.now()
    pending = order["status"] == domain.PENDING
    if not pending and not domain.is_due_for_reconciliation(order):
        return SETTLED
    if order["status"] == domain.CONFIRMED:
        orders.settle_reconciled(order_id, reason=None, now=now)  # paid and committed: keep
        return RECONCILED

    execution = workflow.status(order_id)
    if execution == "RUNNING":
        if now < order.get("reconcileAt", now):
            return STILL_RUNNING
        # Past the worst case, it will not finish: stop it so no step runs after ours.
        workflow.stop(order_id, cause="running past the checkout's worst-case duration")
    if execution == "SUCCEEDED" and pending:
        # The checkout confirms an order before it succeeds, so this is not a state it leaves.
        logger.warning("checkout succeeded but the order is PENDING", extra={"orderId": order_id})
        return STILL_RUNNING

    logger.append_keys(order_id=order_id)
    compensations.refund_payment(order_id)
    compensations.release_stock(order_id)
    if pending:
        reason = domain.RECONCILED_REASONS.get(execution, "CheckoutInterrupted")
        # Published before the order is settled: if settling fails, the next run publishes again
        # (at worst a second email) rather than never.
        outcomes.order_failed(order, reason)
        orders.settle_reconciled(order_id, reason=reason, now=now)
        metrics.add_metric(name="OrdersReconciledFailed", unit=MetricUnit.Count, value=1)
    else:
        orders.settle_reconciled(order_id, reason=None, now=now)
        metrics.add_metric(name="CompensationsReconciled", unit=MetricUnit.Count, value=1)
    logger.info("order reconciled", extra={"execution": execution, "wasPending": pending})
    return RECONCILED


def sweep(
    *,
    orders: OrdersRepository,
    workflow: CheckoutWorkflow,
    compensations: CheckoutCompensations,
    outcomes: OutcomeEvents,
    limit: int,
) -> SweepReport:
    """Every order due now (up to `limit`): one failing order does not stop the others."""
    report = SweepReport()
    collaborators: dict[str, Any] = {
        "orders": orders,
        "workflow": workflow,
        "compensations": compensations,
        "outcomes": outcomes,
    }
    for order_id in orders.due_for_reconciliation(domain.now(), limit):
        try:
            report.outcomes[order_id] = reconcile_order(order_id, **collaborators)
        except Exception as error:  # the order stays due; the next sweep tries again
            logger.exception("could not reconcile the order", extra={"orderId": order_id})
            report.errors[order_id] = type(error).__name__
    if report.errors:
        metrics.add_metric(
            name="ReconciliationsFailed", unit=MetricUnit.Count, value=len(report.errors)
        )
    return report
