"""CapturePaymentFunction: the checkout saga's capture step, after CommitStock."""

import gc

import boto3
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments_service.adapters import build_provider
from payments_service.capturing import capture_payment
from payments_service.config import PaymentsSettings
from payments_service.models import CapturePaymentRequest
from payments_service.observability import logger, metrics, tracer
from payments_service.repository import PaymentRepository

settings = PaymentsSettings.from_environment()  # a missing or unknown variable fails the init
dynamodb = boto3.client("dynamodb")
payments = PaymentRepository(dynamodb, settings.payments_table_name)
provider = build_provider(settings, dynamodb)


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    request = parse(event=event, model=CapturePaymentRequest)
    return capture_payment(request, payments=payments, provider=provider)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
