"""The payment-provider port: the use cases only see the `PaymentProvider` protocol and the
provider exceptions below. Which provider stands behind it is configuration (PAYMENT_PROVIDER,
see `build_provider` in this package).

A payment is authorized first (the customer's funds are held, nothing is taken), then either
captured (the money is taken) or cancelled (the hold is released); only a captured payment is
refunded. Every call carries an idempotency key, so a repeated call with the same key returns
the first call's outcome instead of acting twice.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProviderAuthorization:
    payment_id: str  # the provider's own id of the authorized payment (Stripe: the PaymentIntent)


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


class AuthorizationCancelled(ProviderError):
    """A capture found the authorization cancelled (by a compensation, or expired)."""


class AlreadyCaptured(ProviderError):
    """A cancel found the payment captured: it can only be refunded now."""


class PaymentProvider(Protocol):
    def authorize(
        self, token: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> ProviderAuthorization: ...

    def capture(self, payment_id: str, amount_cents: int, idempotency_key: str) -> None: ...

    def cancel(self, payment_id: str, idempotency_key: str) -> None: ...

    def refund(
        self, payment_id: str, amount_cents: int, idempotency_key: str
    ) -> ProviderRefund: ...
