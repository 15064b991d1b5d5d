"""UpdateOrderStatusFunction: the checkout's ConfirmOrder and MarkOrderFailed steps."""

import gc

import boto3
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_service.config import OrdersTableSettings
from orders_service.models import OrderStatusUpdate
from orders_service.observability import logger, metrics, tracer
from orders_service.outcome import record_outcome
from orders_service.repository import OrdersRepository

settings = OrdersTableSettings.from_environment()
orders = OrdersRepository(boto3.client("dynamodb"), settings.orders_table_name)


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    update = parse(event=event, model=OrderStatusUpdate)
    return record_outcome(update, orders=orders)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
