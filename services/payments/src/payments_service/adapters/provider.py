"""The payment-provider port: the use cases only see the `PaymentProvider` protocol and the
provider exceptions below. Which provider stands behind it is configuration (PAYMENT_PROVIDER,
see `build_provider` in this package)."""

from dataclasses import dataclass
from typing import Protocol


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
