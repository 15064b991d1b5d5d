"""Pydantic models at the edges: task payloads in, and the payment record as stored."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

# Identifiers (of customers, orders, skus, requests) become DynamoDB keys and log fields:
# printable ASCII without spaces or control characters; each use bounds the length.
IDENTIFIER_PATTERN = r"^[!-~]+$"
Identifier = Annotated[str, StringConstraints(min_length=1, pattern=IDENTIFIER_PATTERN)]
OrderId = Annotated[Identifier, StringConstraints(max_length=128)]


# What RegisterPayment answers and ChargePayment takes: opaque to every other service.
PaymentReference = Annotated[Identifier, StringConstraints(max_length=128)]


class RegisterPaymentRequest(BaseModel):
    """RegisterPayment payload (the orders API, when an order is placed). The token is a
    SecretStr so it never shows in a repr or log, and errors never quote the input (a payload
    that fails validation holds the token raw)."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    orderId: OrderId
    paymentToken: Annotated[SecretStr, Field(min_length=1, max_length=256)]

    @field_validator("paymentToken")
    @classmethod
    def _token_not_blank(cls, token: SecretStr) -> SecretStr:
        if not token.get_secret_value().strip():
            raise ValueError("paymentToken must not be blank")
        return token


class ChargePaymentRequest(BaseModel):
    """ChargePayment task payload. It receives the whole execution state (the customer's
    address included), so errors never quote the input."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    orderId: OrderId
    # strict: 25.98 or "2598" is a caller bug, not something to coerce into money.
    amountCents: Annotated[int, Field(strict=True, gt=0)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    paymentReference: PaymentReference


class CapturePaymentRequest(BaseModel):
    """CapturePayment task payload: the whole execution state, so errors never quote the input.
    What to capture is the authorized amount, read from the payment record."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    orderId: OrderId


class RefundPaymentRequest(BaseModel):
    """RefundPayment task payload: the whole execution state, so errors never quote the input."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    orderId: OrderId


class PaymentStatus(StrEnum):
    PENDING = "PENDING"  # written before the provider is asked, so a crash leaves a trace
    AUTHORIZED = "AUTHORIZED"  # the customer's funds are held, nothing taken yet
    CAPTURED = "CAPTURED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"
    # The compensation ran before any capture: the authorization (if any) is cancelled, and the
    # record is a tombstone no late authorization or capture can get past.
    CANCELLED = "CANCELLED"


class RegisteredPayment(BaseModel):
    """`PAYMENTREF#<orderId>`: the provider token an order pays with, under the reference the
    other services carry instead. Only this service's table holds the token."""

    model_config = ConfigDict(frozen=True)

    orderId: str
    paymentReference: str
    paymentToken: SecretStr
    registeredAt: str


class PaymentRecord(BaseModel):
    """`PAYMENT#<orderId>`. Holds no token and no card data, only provider references."""

    orderId: str
    status: PaymentStatus
    paymentId: str | None = None
    amountCents: int | None = None
    currency: str | None = None
    providerPaymentId: str | None = None  # the provider's payment (Stripe: the PaymentIntent)
    providerRefundId: str | None = None
    authorizationCancelledAt: str | None = None  # when the provider released the hold
    declineCode: str | None = None
    attempts: int = 0
    createdAt: str | None = None
    updatedAt: str | None = None
