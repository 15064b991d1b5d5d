"""PAYMENT_PROVIDER picks the provider; anything unknown, or nothing, fails the cold start."""

import sys

import pytest

from payments_service.adapters import build_provider
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
