"""ChargePaymentFunction: the checkout saga's payment step."""

import gc

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments_service import domain
from payments_service.handlers.wiring import metrics, provider, record_metric, repository
from payments_service.models import ChargePaymentRequest

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    request = parse(event=event, model=ChargePaymentRequest)
    return domain.charge_payment(request, repository, provider, record_metric)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
