"""PAYMENT_PROVIDER picks the provider; anything unknown fails the cold start."""

import sys

import pytest

from payments_service.provider import ProviderConfigurationError, provider_from_env
from payments_service.simulated_provider import SimulatedProvider

HANDLERS = ["payments_service.handlers.charge_payment", "payments_service.handlers.refund_payment"]
WIRING = "payments_service.handlers.wiring"  # where the provider is chosen, at import


def test_simulated_is_selected(table):
    assert isinstance(provider_from_env(ledger_table=table), SimulatedProvider)


@pytest.mark.parametrize("module", HANDLERS)
@pytest.mark.parametrize("value", ["stripe", "Simulated", ""])
def test_unknown_provider_fails_the_handler_import(table, monkeypatch, module, value):
    monkeypatch.setenv("PAYMENT_PROVIDER", value)
    sys.modules.pop(module, None)
    sys.modules.pop(WIRING, None)

    with pytest.raises(ProviderConfigurationError, match="one of: simulated"):
        __import__(module)

    sys.modules.pop(module, None)
    sys.modules.pop(WIRING, None)


def test_missing_provider_fails_too(table, monkeypatch):
    monkeypatch.delenv("PAYMENT_PROVIDER")
    with pytest.raises(ProviderConfigurationError, match="PAYMENT_PROVIDER=''"):
        provider_from_env(ledger_table=table)
