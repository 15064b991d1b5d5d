"""What the service calls besides its own table: the payment provider, behind its port
(`provider.py`), and the providers there are (so far the sandbox, `simulated_provider.py`)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from payments_service.adapters.provider import PaymentProvider
    from payments_service.config import PaymentsSettings


def build_provider(settings: "PaymentsSettings", dynamodb: "DynamoDBClient") -> "PaymentProvider":
    """The provider PAYMENT_PROVIDER names; the settings admit only the ones handled here.
    `dynamodb` is where the sandbox keeps its ledger (the payments table); a real provider
    would ignore it."""
    match settings.payment_provider:
        case "simulated":
            # Imported here: a function loads only the provider it runs with (cold start).
            from payments_service.adapters.simulated_provider import SimulatedProvider

            return SimulatedProvider(dynamodb, settings.payments_table_name)
