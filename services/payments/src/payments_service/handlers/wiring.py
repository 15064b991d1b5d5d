"""What both payment functions are built from: the table, the repository, the provider, and
how domain events become metrics. Both need all of it, so sharing it costs no cold start."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from payments_service.provider import provider_from_env
from payments_service.repository import PaymentRepository, payments_table

metrics = Metrics()  # Powertools shares one metric set per process across instances

table = payments_table()
repository = PaymentRepository(table)
provider = provider_from_env(ledger_table=table)  # an unknown PAYMENT_PROVIDER fails the import


def record_metric(name: str, details: dict[str, str]) -> None:
    """Details go to metadata, not dimensions: decline codes would explode the metric count."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    for key, value in details.items():
        metrics.add_metadata(key=key, value=value)
