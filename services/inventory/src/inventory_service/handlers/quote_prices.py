"""QuotePrices: prices a cart from the catalog for the orders API (direct Lambda Invoke).

Stock is not checked here; ReserveStock does that when the order runs.
"""

import gc

import boto3
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service.catalog import quote_prices
from inventory_service.config import InventorySettings
from inventory_service.models import QuotePricesRequest
from inventory_service.observability import logger, metrics, tracer
from inventory_service.repository import InventoryRepository

settings = InventorySettings.from_environment()
repository = InventoryRepository(boto3.client("dynamodb"), settings.inventory_table_name)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return quote_prices(parse(event=event, model=QuotePricesRequest), catalog=repository)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
