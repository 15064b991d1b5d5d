"""Stock for the checkout saga: reserve an order's stock, commit it, release it.

Each step is idempotent per order: a second delivery returns the first result and changes
nothing, because every change is a conditional write and what blocked it is reported back.
"""

from aws_lambda_powertools.metrics import MetricUnit

from inventory_service.domain import (
    ReleaseOutcome,
    Reservation,
    ReservationStatus,
    now,
    release_result_for_existing,
    reservation_result,
)
from inventory_service.errors import (
    OutOfStock,
    ReservationNotFound,
    ReservationReleased,
    UnknownSku,
)
from inventory_service.models import OrderTask, ReserveStockRequest
from inventory_service.observability import logger, metrics
from inventory_service.repository import InventoryRepository

# A release re-reads and retries when the reservation moved under it. The reservation has at
# most 4 states (none, RESERVED, COMMITTED, RELEASED) and only moves forward, so 4 reads suffice.
RELEASE_MAX_ATTEMPTS = 4


def reserve_stock(request: ReserveStockRequest, *, stock: InventoryRepository) -> dict:
    """Takes stock for all lines of an order, or none.

    An existing reservation for the order (whatever its status, including a release tombstone)
    wins: it is the result and nothing is taken. An unknown sku wins over a short one.
    """
    outcome = stock.reserve(request.order_id, request.quantities(), now())
    if isinstance(outcome, Reservation):
        metrics.add_metric(name="StockReserved", unit=MetricUnit.Count, value=1)
        logger.info("stock reserved")
        return reservation_result(outcome)
    if outcome.existing is not None:
        logger.info("reservation already exists", extra={"status": str(outcome.existing.status)})
        return reservation_result(outcome.existing)
    if outcome.missing_skus:
        # Counted, as OutOfStock is: a business outcome, which the errors alarm subtracts.
        metrics.add_metric(name="UnknownSku", unit=MetricUnit.Count, value=1)
        raise UnknownSku(outcome.missing_skus)
    metrics.add_metric(name="OutOfStock", unit=MetricUnit.Count, value=1)
    logger.info("out of stock", extra={"skus": list(outcome.short_skus)})
    raise OutOfStock(outcome.short_skus)


def commit_stock(task: OrderTask, *, stock: InventoryRepository) -> dict:
    """The order is paid: its reservation becomes final (RESERVED -> COMMITTED)."""
    refused = stock.commit(task.order_id, now())
    if refused is None:
        metrics.add_metric(name="StockCommitted", unit=MetricUnit.Count, value=1)
        logger.info("stock committed")
    elif refused.existing is None:
        raise ReservationNotFound(task.order_id)
    elif refused.existing.status is ReservationStatus.COMMITTED:
        logger.info("reservation already committed")
    else:
        raise ReservationReleased(task.order_id)
    return {"status": ReservationStatus.COMMITTED.value}


def release_stock(task: OrderTask, *, stock: InventoryRepository) -> dict:
    """Gives an order's reserved stock back (RESERVED/COMMITTED -> RELEASED).

    Safe to run before, after or instead of ReserveStock: with no reservation it leaves a
    RELEASED tombstone so a late reserve for the same order takes nothing.
    """
    outcome, changed = _release(task.order_id, stock, now())
    if changed and outcome is ReleaseOutcome.RELEASED:
        metrics.add_metric(name="StockReleased", unit=MetricUnit.Count, value=1)
    logger.info("release handled", extra={"outcome": str(outcome), "changed": changed})
    return {"status": outcome.value}


def _release(order_id: str, stock: InventoryRepository, at: str) -> tuple[ReleaseOutcome, bool]:
    """The outcome, and whether this call wrote it.

    The read only tells which skus to give back; the write is guarded by the status that was
    read, so a concurrent change makes it fail and the loop look again.
    """
    for _ in range(RELEASE_MAX_ATTEMPTS):
        reservation = stock.get_reservation(order_id)
        if reservation is None:
            if stock.put_release_tombstone(order_id, at):
                return ReleaseOutcome.NOTHING_TO_RELEASE, True
            continue  # a reserve landed in between: release that one
        unchanged = release_result_for_existing(reservation)
        if unchanged is not None:
            return unchanged, False
        if stock.release_reservation(reservation, at):
            return ReleaseOutcome.RELEASED, True
    raise RuntimeError(f"reservation for order {order_id} kept changing during release")
