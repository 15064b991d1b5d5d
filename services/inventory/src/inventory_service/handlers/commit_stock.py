"""CommitStock saga step: the order is paid, its reservation becomes final."""

import gc
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service.domain import ReservationStatus
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
    if repository.commit(task.order_id, datetime.now(UTC).isoformat()):
        metrics.add_metric(name="StockCommitted", unit=MetricUnit.Count, value=1)
        logger.info("stock committed")
    else:
        logger.info("reservation already committed")
    return {"status": ReservationStatus.COMMITTED.value}


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
