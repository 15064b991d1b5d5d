"""ReleaseStock saga compensation: gives an order's reserved stock back.

Safe to run before, after or instead of ReserveStock (see stock.release_stock).
"""

import gc

import boto3
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service.config import InventorySettings
from inventory_service.models import OrderTask
from inventory_service.observability import logger, metrics, tracer
from inventory_service.repository import InventoryRepository
from inventory_service.stock import release_stock

settings = InventorySettings.from_environment()
repository = InventoryRepository(boto3.client("dynamodb"), settings.inventory_table_name)


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return release_stock(parse(event=event, model=OrderTask), stock=repository)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
