"""Order outcome events as EventBridge delivers them to the queue (the SQS body is the event)."""

import re
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
)

# Email addresses as SES takes them: ASCII only; a dot-atom local part (RFC 5322: letters,
# digits and !#$%&'*+/=?^_`{|}~- in runs joined by single dots) of at most 64 characters
# (RFC 5321); a domain of letter-digit-hyphen labels of at most 63 characters, not starting or
# ending with a hyphen, at least two of them; 254 characters in all. The local part's limit is
# a second pattern rather than a lookahead, which schema-driven generators cannot satisfy.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LDH_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LDH_LABEL}\.)+{_LDH_LABEL}$"
EMAIL_LOCAL_PART_PATTERN = r"^[^@]{1,64}@"


def _local_part_fits(address: str) -> str:
    if not re.match(EMAIL_LOCAL_PART_PATTERN, address):
        raise ValueError("the local part of the address (before @) is over 64 characters")
    return address


EmailAddress = Annotated[
    str,
    StringConstraints(max_length=254, pattern=EMAIL_PATTERN),
    AfterValidator(_local_part_fits),
    Field(
        description=(
            "an address SES accepts: ASCII, a dot-atom local part of at most 64 characters, "
            "a domain of letter-digit-hyphen labels with at least one dot, 254 characters in all"
        ),
        json_schema_extra={"allOf": [{"pattern": EMAIL_LOCAL_PART_PATTERN}]},
    ),
]

_email_address: TypeAdapter[str] = TypeAdapter(EmailAddress)


def is_deliverable(address: str) -> bool:
    """Whether SES would take `address` as a recipient (an address stored elsewhere may not)."""
    try:
        _email_address.validate_python(address)
    except ValueError:
        return False
    return True


# Identifiers (of customers, orders, skus, requests) become DynamoDB keys and log fields:
# printable ASCII without spaces or control characters; each use bounds the length.
IDENTIFIER_PATTERN = r"^[!-~]+$"
Identifier = Annotated[str, StringConstraints(min_length=1, pattern=IDENTIFIER_PATTERN)]

CHECKOUT_SOURCE = "ecommerce.checkout"
# Errors never quote the input: whatever a producer put in an event stays out of the logs.
_ERRORS_WITHOUT_INPUT = ConfigDict(hide_input_in_errors=True)


class OrderItem(BaseModel):
    sku: Identifier = Field(max_length=100)
    # Counts and money strict: "2", 2.0 or true is a producer's bug, not a number to coerce.
    quantity: int = Field(strict=True, ge=1)
    unitPriceCents: int | None = Field(default=None, strict=True, ge=0)
    name: str | None = None


# The customer is named by id (the user pool's `sub`), never by address: events are kept
# (archives, DLQs, logs of consumers) where an address must not be.
class OrderConfirmedDetail(BaseModel):
    orderId: Identifier = Field(max_length=128)
    customerId: Identifier = Field(max_length=64)
    amountCents: int = Field(strict=True, ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    items: list[OrderItem] = Field(min_length=1)


class OrderFailedDetail(BaseModel):
    """Only what the email needs: a failure email must not bounce on a missing order total."""

    orderId: Identifier = Field(max_length=128)
    customerId: Identifier = Field(max_length=64)
    # The ASL error name (e.g. PaymentDeclined); never shown to the customer as is.
    reason: str | None = None


class OrderConfirmedEvent(EventBridgeModel):
    model_config = _ERRORS_WITHOUT_INPUT

    source: Literal["ecommerce.checkout"]
    detail_type: Literal["OrderConfirmed"] = Field(alias="detail-type")
    detail: OrderConfirmedDetail


class OrderFailedEvent(EventBridgeModel):
    model_config = _ERRORS_WITHOUT_INPUT

    source: Literal["ecommerce.checkout"]
    detail_type: Literal["OrderFailed"] = Field(alias="detail-type")
    detail: OrderFailedDetail


_OUTCOMES = ("OrderConfirmed", "OrderFailed")


def _outcome(event: Any) -> str | None:
    """The event's detail-type if it is an outcome; pydantic's own discriminator error would
    quote any other value, whatever it holds."""
    tag = (
        event.get("detail-type") if isinstance(event, dict) else getattr(event, "detail_type", None)
    )
    return tag if tag in _OUTCOMES else None


OrderOutcomeEvent = Annotated[
    Annotated[OrderConfirmedEvent, Tag("OrderConfirmed")]
    | Annotated[OrderFailedEvent, Tag("OrderFailed")],
    Discriminator(
        _outcome,
        custom_error_type="not_an_order_outcome",
        custom_error_message="detail-type must be OrderConfirmed or OrderFailed",
    ),
]

_order_outcome_adapter: TypeAdapter[OrderConfirmedEvent | OrderFailedEvent] = TypeAdapter(
    OrderOutcomeEvent, config=_ERRORS_WITHOUT_INPUT
)


def parse_order_outcome(body: str) -> OrderConfirmedEvent | OrderFailedEvent:
    """Parse an SQS body (the EventBridge event as JSON). Raises pydantic.ValidationError."""
    return _order_outcome_adapter.validate_json(body)
