"""PAYMENT_PROVIDER picks the provider; anything unknown, or nothing, fails the cold start."""

import sys

import boto3
import pytest

from payments_service.adapters import build_provider
from payments_service.adapters.provider import ProviderUnavailable
from payments_service.adapters.simulated_provider import SimulatedProvider
from payments_service.adapters.stripe_provider import StripeProvider
from payments_service.config import ConfigurationError, PaymentsSettings

HANDLERS = [
    "payments_service.handlers.charge_payment",
    "payments_service.handlers.capture_payment",
    "payments_service.handlers.refund_payment",
]


def test_simulated_is_selected(dynamodb):
    settings = PaymentsSettings.from_environment(
        {"PAYMENTS_TABLE_NAME": "payments-test", "PAYMENT_PROVIDER": "simulated"}
    )
    assert isinstance(build_provider(settings, dynamodb), SimulatedProvider)


def test_stripe_is_selected_without_reading_its_key_at_init(dynamodb):
    settings = PaymentsSettings.from_environment(
        {
            "PAYMENTS_TABLE_NAME": "payments-test",
            "PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_NAME": "ecommerce/payments/stripe-secret-key",
        }
    )
    # No secret exists in this moto: building the provider must not ask for it yet.
    assert isinstance(build_provider(settings, dynamodb), StripeProvider)


@pytest.mark.parametrize("module", HANDLERS)
@pytest.mark.parametrize("value", ["paypal", "Simulated", "", None])
def test_unknown_or_missing_provider_fails_the_handler_import(table, monkeypatch, module, value):
    if value is None:
        monkeypatch.delenv("PAYMENT_PROVIDER")
    else:
        monkeypatch.setenv("PAYMENT_PROVIDER", value)
    sys.modules.pop(module, None)

    with pytest.raises(
        ConfigurationError, match="PAYMENT_PROVIDER: Input should be 'stripe' or 'simulated'"
    ):
        __import__(module)

    sys.modules.pop(module, None)


@pytest.mark.parametrize("module", HANDLERS)
def test_stripe_without_its_secret_name_fails_the_handler_import(table, monkeypatch, module):
    monkeypatch.setenv("PAYMENT_PROVIDER", "stripe")
    monkeypatch.delenv("STRIPE_SECRET_NAME", raising=False)
    sys.modules.pop(module, None)

    with pytest.raises(ConfigurationError, match="STRIPE_SECRET_NAME must name the secret"):
        __import__(module)

    sys.modules.pop(module, None)


STRIPE_ENVIRONMENT = {
    "PAYMENTS_TABLE_NAME": "payments-test",
    "PAYMENT_PROVIDER": "stripe",
    "STRIPE_SECRET_NAME": "ecommerce/payments/stripe-secret-key",
    # Nothing listens there: a call that gets that far read the key and met an outage.
    "STRIPE_API_BASE": "http://127.0.0.1:9",
}


@pytest.fixture
def stripe_provider(dynamodb):
    return build_provider(PaymentsSettings.from_environment(STRIPE_ENVIRONMENT), dynamodb)


def put_key(value: str) -> None:
    boto3.client("secretsmanager").create_secret(
        Name=STRIPE_ENVIRONMENT["STRIPE_SECRET_NAME"], SecretString=value
    )


def test_the_stripe_key_is_read_from_its_secret_at_the_first_payment(stripe_provider):
    put_key("sk_test_fromsecretsmanager")

    with pytest.raises(ProviderUnavailable):  # the key was read; Stripe (here: nobody) was asked
        stripe_provider.authorize("pm_card_visa", 100, "USD", "ord-1:authorize")


@pytest.mark.parametrize("value", ["pk_test_publishable", "not a key", ""])
def test_a_secret_that_holds_no_secret_key_fails_naming_the_secret(stripe_provider, value):
    put_key(value or " ")

    with pytest.raises(ConfigurationError, match="ecommerce/payments/stripe-secret-key"):
        stripe_provider.authorize("pm_card_visa", 100, "USD", "ord-1:authorize")
