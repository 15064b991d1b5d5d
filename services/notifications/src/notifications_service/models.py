"""Order outcome events as EventBridge delivers them to the queue (the SQS body is the event)."""

from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, Field, TypeAdapter

# A deliberately loose shape check (one @, no spaces, a dot in the domain): SES is the judge of
# deliverability; this only keeps obvious garbage out of the send call.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

CHECKOUT_SOURCE = "ecommerce.checkout"


class OrderItem(BaseModel):
    sku: str = Field(min_length=1)
    # Counts and money strict: "2", 2.0 or true is a producer's bug, not a number to coerce.
    quantity: int = Field(strict=True, ge=1)
    unitPriceCents: int | None = Field(default=None, strict=True, ge=0)
    name: str | None = None


class OrderConfirmedDetail(BaseModel):
    orderId: str = Field(min_length=1)
    customerId: str | None = None
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    amountCents: int = Field(strict=True, ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    items: list[OrderItem] = Field(min_length=1)


class OrderFailedDetail(BaseModel):
    """Only what the email needs: a failure email must not bounce on a missing order total."""

    orderId: str = Field(min_length=1)
    customerId: str | None = None
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    # The ASL error name (e.g. PaymentDeclined); never shown to the customer as is.
    reason: str | None = None


class OrderConfirmedEvent(EventBridgeModel):
    source: Literal["ecommerce.checkout"]
    detail_type: Literal["OrderConfirmed"] = Field(alias="detail-type")
    detail: OrderConfirmedDetail


class OrderFailedEvent(EventBridgeModel):
    source: Literal["ecommerce.checkout"]
    detail_type: Literal["OrderFailed"] = Field(alias="detail-type")
    detail: OrderFailedDetail


OrderOutcomeEvent = Annotated[
    OrderConfirmedEvent | OrderFailedEvent, Field(discriminator="detail_type")
]

_order_outcome_adapter: TypeAdapter[OrderConfirmedEvent | OrderFailedEvent] = TypeAdapter(
    OrderOutcomeEvent
)


def parse_order_outcome(body: str) -> OrderConfirmedEvent | OrderFailedEvent:
    """Parse an SQS body (the EventBridge event as JSON). Raises pydantic.ValidationError."""
    return _order_outcome_adapter.validate_json(body)
