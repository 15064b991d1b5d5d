"""Workflow task: record the checkout's outcome on the order (CONFIRMED or FAILED + reason)."""

import gc
import os

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse

from orders_service import domain
from orders_service.models import OrderStatusUpdate
from orders_service.repository import OrdersRepository

logger = Logger()
tracer = Tracer()
metrics = Metrics()

orders = OrdersRepository(boto3.client("dynamodb"), os.environ["ORDERS_TABLE_NAME"])


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    update = parse(event=event, model=OrderStatusUpdate)
    order = orders.update_status(update.orderId, update.status, update.reason, domain.now_iso())
    if update.status == domain.CONFIRMED:
        metrics.add_metric(name="OrdersConfirmed", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metadata(key="reason", value=update.reason)
        metrics.add_metric(name="OrdersFailed", unit=MetricUnit.Count, value=1)
    return {"orderId": order["orderId"], "status": order["status"]}


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
