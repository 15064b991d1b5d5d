"""Stripe behind the provider port: PaymentIntents with manual capture, through the official SDK.

`authorize` creates and confirms a PaymentIntent with `capture_method=manual` (the card is held,
status `requires_capture`); `capture` and `cancel` settle it; `refund` gives back a captured
one. Every request sends the caller's idempotency key (`Idempotency-Key`), so Stripe answers a
repeated request with the first one's result. The SDK does not retry (`max_network_retries=0`):
the state machine's Retry owns retries, with backoff, counted in the execution's history.

Stripe's errors become the port's: a card error is a decline; rate limiting, a connection
failure or a 5xx is an outage (retried); a request Stripe refuses is our bug.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from stripe import (
    APIConnectionError,
    CardError,
    InvalidRequestError,
    RateLimitError,
    RequestsClient,
    StripeClient,
    StripeError,
)

if TYPE_CHECKING:
    from stripe import HTTPClient

from payments_service.adapters.provider import (
    AlreadyCaptured,
    AuthorizationCancelled,
    CardDeclined,
    InvalidProviderRequest,
    ProviderAuthorization,
    ProviderError,
    ProviderRefund,
    ProviderUnavailable,
)

AUTHORIZED = "requires_capture"
CAPTURED = "succeeded"
CANCELED = "canceled"
# A card that needs the customer present (3-D Secure) cannot be authorized off-session here.
NEEDS_CUSTOMER = "authentication_required"
# What a token that names no payment method is declined as (the customer's input, not our bug).
INVALID_PAYMENT_METHOD = "invalid_payment_method"


# Connect and read timeouts, well inside the payments functions' 15 s Timeout: a Stripe that
# hangs becomes an APIConnectionError (PaymentProviderUnavailable, retried by the state machine)
# in a function still able to answer, instead of an invocation cut off mid-call (the SDK's own
# default is 80 s).
TIMEOUT_SECONDS = (3.0, 8.0)


class StripeProvider:
    def __init__(
        self,
        api_key: Callable[[], str],
        api_base: str | None = None,
        http_client: "HTTPClient | None" = None,
    ) -> None:
        """`api_key` returns the secret key (cached by the caller, read again when it expires,
        so a rotated key is picked up); `api_base` points the SDK elsewhere (the local run's
        fake Stripe), None for Stripe itself; `http_client` replaces the SDK's (tests)."""
        self._api_key = api_key
        self._api_base = api_base
        self._http_client = http_client
        self._client: StripeClient | None = None
        self._client_key = ""

    def authorize(
        self, token: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> ProviderAuthorization:
        try:
            intent = self._stripe().v1.payment_intents.create(
                {
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "payment_method": token,
                    # Cards only (card tokens are what the orders API takes), so no payment
                    # method can need a redirect (and a return_url).
                    "allowed_payment_method_types": ["card"],
                    "capture_method": "manual",
                    "confirm": True,
                },
                {"idempotency_key": idempotency_key},
            )
        except CardError as error:
            raise CardDeclined(_decline_code(error)) from None
        except InvalidRequestError as error:
            if error.http_status == 404 or getattr(error, "param", None) == "payment_method":
                raise CardDeclined(INVALID_PAYMENT_METHOD) from None
            raise _refused(error) from None
        except StripeError as error:
            raise _translated(error) from None
        if intent.status != AUTHORIZED:
            raise CardDeclined(NEEDS_CUSTOMER)
        return ProviderAuthorization(payment_id=intent.id)

    def capture(self, payment_id: str, amount_cents: int, idempotency_key: str) -> None:
        try:
            self._stripe().v1.payment_intents.capture(
                payment_id,
                {"amount_to_capture": amount_cents},
                {"idempotency_key": idempotency_key},
            )
        except InvalidRequestError as error:
            # Not capturable: already captured (fine) or cancelled (too late to capture).
            status = self._status(payment_id)
            if status == CANCELED:
                raise AuthorizationCancelled(payment_id) from None
            if status != CAPTURED:
                raise _refused(error) from None
        except StripeError as error:
            raise _translated(error) from None

    def cancel(self, payment_id: str, idempotency_key: str) -> None:
        try:
            self._stripe().v1.payment_intents.cancel(
                payment_id, {}, {"idempotency_key": idempotency_key}
            )
        except InvalidRequestError as error:
            # Not cancellable: already cancelled (fine) or captured (only a refund helps now).
            status = self._status(payment_id)
            if status == CAPTURED:
                raise AlreadyCaptured(payment_id) from None
            if status != CANCELED:
                raise _refused(error) from None
        except StripeError as error:
            raise _translated(error) from None

    def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> ProviderRefund:
        try:
            refund = self._stripe().v1.refunds.create(
                {"payment_intent": payment_id, "amount": amount_cents},
                {"idempotency_key": idempotency_key},
            )
        except InvalidRequestError as error:
            raise _refused(error) from None
        except StripeError as error:
            raise _translated(error) from None
        return ProviderRefund(refund_id=refund.id)

    def _status(self, payment_id: str) -> str:
        try:
            return self._stripe().v1.payment_intents.retrieve(payment_id).status
        except StripeError as error:
            raise _translated(error) from None

    def _stripe(self) -> StripeClient:
        key = self._api_key()
        if self._client is None or key != self._client_key:
            self._client = StripeClient(
                key,
                base_addresses={"api": self._api_base} if self._api_base else None,
                max_network_retries=0,
                http_client=self._http_client or RequestsClient(timeout=TIMEOUT_SECONDS),
            )
            self._client_key = key
        return self._client


def _decline_code(error: CardError) -> str:
    detail = error.error
    return (detail and detail.decline_code) or error.code or "card_declined"


def _translated(error: StripeError) -> ProviderError:
    """Outages are transient; anything else Stripe answers is a request it will not take."""
    if isinstance(error, RateLimitError | APIConnectionError) or (error.http_status or 0) >= 500:
        return ProviderUnavailable(f"Stripe: {type(error).__name__} ({error.http_status})")
    return _refused(error)


def _refused(error: StripeError) -> InvalidProviderRequest:
    # The type and code only: Stripe's message can quote what was sent.
    return InvalidProviderRequest(
        f"Stripe refused the request: {type(error).__name__} ({error.code})"
    )
