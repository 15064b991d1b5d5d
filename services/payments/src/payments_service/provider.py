"""The payment-provider port. Handlers get a provider from `provider_from_env`; domain code
only sees the `PaymentProvider` protocol and the provider exceptions below."""

import os
from dataclasses import dataclass
from typing import Any, Protocol

KNOWN_PROVIDERS = ("simulated",)


@dataclass(frozen=True)
class ProviderCharge:
    charge_id: str


@dataclass(frozen=True)
class ProviderRefund:
    refund_id: str


class ProviderError(Exception):
    """Base class of what a provider raises."""


class CardDeclined(ProviderError):
    def __init__(self, decline_code: str) -> None:
        super().__init__(f"card declined ({decline_code})")
        self.decline_code = decline_code


class ProviderUnavailable(ProviderError):
    """Transient: the same request with the same idempotency key may succeed later."""


class InvalidProviderRequest(ProviderError):
    """The provider rejected the request itself (a bug on our side, not a customer problem)."""


class PaymentProvider(Protocol):
    def charge(
        self, token: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> ProviderCharge: ...

    def refund(self, charge_id: str, amount_cents: int, idempotency_key: str) -> ProviderRefund: ...


class ProviderConfigurationError(RuntimeError):
    """PAYMENT_PROVIDER is missing or names no provider: fail the cold start, not a payment."""


def provider_from_env(ledger_table: Any) -> PaymentProvider:
    """The provider named by PAYMENT_PROVIDER. `ledger_table` is where the simulated provider
    keeps its own ledger; a real provider would ignore it."""
    name = os.environ.get("PAYMENT_PROVIDER", "")
    if name == "simulated":
        from payments_service.simulated_provider import SimulatedProvider

        return SimulatedProvider(ledger_table)
    # No silent default: a payments function must never guess which provider takes the money.
    raise ProviderConfigurationError(
        f"PAYMENT_PROVIDER={name!r} is not a known payment provider; "
        f"set it to one of: {', '.join(KNOWN_PROVIDERS)}"
    )
