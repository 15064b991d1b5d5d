"""What the service calls besides its own table: the payment provider, behind its port
(`provider.py`), and the providers there are: Stripe (`stripe_provider.py`) and the sandbox
(`simulated_provider.py`)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from payments_service.adapters.provider import PaymentProvider
    from payments_service.config import PaymentsSettings

# How long a read of the Stripe key is reused before Secrets Manager is asked again, so a
# rotated key reaches every environment within this many seconds.
SECRET_MAX_AGE_SECONDS = 300
# A secret key or a restricted key; never a publishable key (pk_), which cannot charge.
STRIPE_SECRET_KEY_PREFIXES = ("sk_", "rk_")


def build_provider(settings: "PaymentsSettings", dynamodb: "DynamoDBClient") -> "PaymentProvider":
    """The provider PAYMENT_PROVIDER names; the settings admit only the ones handled here.
    `dynamodb` is where the sandbox keeps its ledger (the payments table); Stripe ignores it.
    Each provider is imported here: a function loads only the one it runs with (cold start)."""
    match settings.payment_provider:
        case "stripe":
            import boto3
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            from payments_service.adapters.stripe_provider import StripeProvider
            from payments_service.config import ConfigurationError

            # Powertools Parameters (what get_secret uses), on a client of the function's own
            # boto3 session, as every client here is; read at the first payment, not at init.
            secrets = SecretsProvider(boto3_client=boto3.client("secretsmanager"))

            def api_key() -> str:
                # Powertools caches the value for max_age seconds.
                key = str(secrets.get(settings.stripe_secret_name, max_age=SECRET_MAX_AGE_SECONDS))
                if not key.startswith(STRIPE_SECRET_KEY_PREFIXES):
                    raise ConfigurationError(
                        f"secret {settings.stripe_secret_name} holds no Stripe secret key "
                        "(sk_... or rk_...)"
                    )
                return key

            api_base = settings.stripe_api_base
            return StripeProvider(api_key, str(api_base).rstrip("/") if api_base else None)
        case "simulated":
            from payments_service.adapters.simulated_provider import SimulatedProvider

            return SimulatedProvider(dynamodb, settings.payments_table_name)
