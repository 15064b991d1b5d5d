"""ReserveStock saga step: takes stock for all lines of an order, or none."""

import gc
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service.domain import reservation_result
from inventory_service.errors import OutOfStock
from inventory_service.models import ReserveStockRequest
from inventory_service.repository import InventoryRepository, table_from_environment

logger = Logger()
tracer = Tracer()
metrics = Metrics()
repository = InventoryRepository(table_from_environment())


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    request = parse(event=event, model=ReserveStockRequest)
    now = datetime.now(UTC).isoformat()
    try:
        outcome = repository.reserve(request.order_id, request.quantities(), now)
    except OutOfStock as exc:
        metrics.add_metric(name="OutOfStock", unit=MetricUnit.Count, value=1)
        logger.info("out of stock", extra={"skus": list(exc.skus)})
        raise
    if outcome.created:
        metrics.add_metric(name="StockReserved", unit=MetricUnit.Count, value=1)
        logger.info("stock reserved")
    else:
        logger.info("reservation already exists", extra={"status": str(outcome.reservation.status)})
    return reservation_result(outcome.reservation)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
