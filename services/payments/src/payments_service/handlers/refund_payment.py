"""RefundPaymentFunction: the checkout saga's compensation for a charge."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments_service import domain
from payments_service.models import RefundPaymentRequest
from payments_service.provider import provider_from_env
from payments_service.repository import PaymentRepository, payments_table

logger = Logger()
tracer = Tracer()
metrics = Metrics()

table = payments_table()
repository = PaymentRepository(table)
provider = provider_from_env(ledger_table=table)  # an unknown PAYMENT_PROVIDER fails the import


def record_metric(name: str, details: dict[str, str]) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    for key, value in details.items():
        metrics.add_metadata(key=key, value=value)


@logger.inject_lambda_context(correlation_id_path="orderId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    request = parse(event=event, model=RefundPaymentRequest)
    return domain.refund_payment(request.orderId, repository, provider, record_metric)
