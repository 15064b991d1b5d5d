"""ReleaseStock saga compensation: gives an order's reserved stock back.

Safe to run before, after or instead of ReserveStock: with no reservation it leaves a
RELEASED tombstone so a late reserve for the same order takes nothing.
"""

import gc
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service.domain import ReleaseOutcome
from inventory_service.models import OrderTask
from inventory_service.repository import InventoryRepository, table_from_environment

logger = Logger()
tracer = Tracer()
metrics = Metrics()
repository = InventoryRepository(table_from_environment())


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    task = parse(event=event, model=OrderTask)
    result = repository.release(task.order_id, datetime.now(UTC).isoformat())
    if result.changed and result.outcome is ReleaseOutcome.RELEASED:
        metrics.add_metric(name="StockReleased", unit=MetricUnit.Count, value=1)
    logger.info(
        "release handled", extra={"outcome": str(result.outcome), "changed": result.changed}
    )
    return {"status": result.outcome.value}


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
