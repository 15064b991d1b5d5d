"""PAYMENT_PROVIDER picks the provider; anything unknown, or nothing, fails the cold start."""

import sys

import pytest

from payments_service.adapters import build_provider
from payments_service.adapters.simulated_provider import SimulatedProvider
from payments_service.config import ConfigurationError, PaymentsSettings

HANDLERS = ["payments_service.handlers.charge_payment", "payments_service.handlers.refund_payment"]


def test_simulated_is_selected(dynamodb):
    settings = PaymentsSettings.from_environment(
        {"PAYMENTS_TABLE_NAME": "payments-test", "PAYMENT_PROVIDER": "simulated"}
    )
    assert isinstance(build_provider(settings, dynamodb), SimulatedProvider)


@pytest.mark.parametrize("module", HANDLERS)
@pytest.mark.parametrize("value", ["stripe", "Simulated", "", None])
def test_unknown_or_missing_provider_fails_the_handler_import(table, monkeypatch, module, value):
    if value is None:
        monkeypatch.delenv("PAYMENT_PROVIDER")
    else:
        monkeypatch.setenv("PAYMENT_PROVIDER", value)
    sys.modules.pop(module, None)

    with pytest.raises(ConfigurationError, match="PAYMENT_PROVIDER: Input should be 'simulated'"):
        __import__(module)

    sys.modules.pop(module, None)
