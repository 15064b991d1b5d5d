"""Errors raised out of the handlers: each class name is the ASL error name the state machine
matches in Retry/Catch, so renaming one is a contract change."""


class PaymentsError(Exception):
    """Base class; never raised itself."""


class PaymentDeclined(PaymentsError):
    """The provider refused the card (business error: never retried)."""

    def __init__(self, decline_code: str) -> None:
        super().__init__(f"Payment declined ({decline_code})")
        self.decline_code = decline_code


class InsufficientFunds(PaymentDeclined):
    """A decline the customer can fix with another card, so the state machine can tell it apart."""

    def __init__(self, decline_code: str = "insufficient_funds") -> None:
        super().__init__(decline_code)


class PaymentProviderUnavailable(PaymentsError):
    """The provider could not be reached or failed transiently; retrying the task is safe
    because every provider call carries an idempotency key."""


class PaymentConflict(PaymentsError):
    """The order already has a payment for a different amount or currency: never charge twice."""


class PaymentCancelled(PaymentsError):
    """The order's payment was cancelled or refunded (the compensation already ran), so a late
    charge must not authorize and a late capture must not capture."""


class PaymentNotAuthorized(PaymentsError):
    """A capture for an order whose payment was never authorized (a caller bug: the state machine
    captures only after ChargePayment succeeded). Never retried."""


class UnknownPaymentReference(PaymentsError):
    """The charge names a payment reference this service did not register for the order (a
    caller bug, never retried)."""
