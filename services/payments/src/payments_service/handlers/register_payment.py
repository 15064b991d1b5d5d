"""RegisterPaymentFunction: takes an order's provider token from the orders API, keeps it, and
answers the reference the checkout carries instead (a published Lambda contract)."""

import gc

import boto3
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments_service.config import PaymentsTableSettings
from payments_service.models import RegisterPaymentRequest
from payments_service.observability import logger, tracer
from payments_service.registering import register_payment
from payments_service.repository import PaymentRepository

settings = PaymentsTableSettings.from_environment()  # a missing variable fails the init
payments = PaymentRepository(boto3.client("dynamodb"), settings.payments_table_name)


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    request = parse(event=event, model=RegisterPaymentRequest)
    return register_payment(request, payments=payments)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
