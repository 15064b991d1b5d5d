"""Pydantic models at the service's edges: the API body and the workflow task payload."""

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

# Identifiers (of customers, orders, skus, requests) become DynamoDB keys and log fields:
# printable ASCII without spaces or control characters; each use bounds the length.
IDENTIFIER_PATTERN = r"^[!-~]+$"
Identifier = Annotated[str, StringConstraints(min_length=1, pattern=IDENTIFIER_PATTERN)]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,63}$")]
MAX_QUANTITY_PER_LINE = 100

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


# The signed-in customer's verified address (the ID token's `email`), checked as SES takes it
# before an order is placed, rather than failing in notifications after the sale.
MAILABLE_ADDRESS = TypeAdapter(EmailAddress)


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    sku: Sku
    # strict: "1", 1.0 or true is a client's bug, not a quantity to coerce.
    quantity: int = Field(strict=True, ge=1, le=MAX_QUANTITY_PER_LINE)


class CreateOrderRequest(BaseModel):
    """What a client may send. Prices are not accepted: the catalog prices the cart."""

    # Errors never quote the input: it holds the payment token.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    # No customerId or email: the customer is the signed-in one, mailed at their verified address.
    # A provider token from the payment page, never card data: a Stripe PaymentMethod (pm_...)
    # or a card token (tok_...).
    paymentToken: Annotated[str, StringConstraints(pattern=r"^(pm|tok)_[A-Za-z0-9_]{1,60}$")]
    items: list[LineItem] = Field(
        min_length=1,
        max_length=25,
        description="one line per sku (a sku in two lines is refused, naming it)",
    )

    @field_validator("items")
    @classmethod
    def _one_line_per_sku(cls, items: list[LineItem]) -> list[LineItem]:
        # Merging would pass the per-line limit (25 lines of 100 are 2,500 of one sku).
        first_line: dict[str, int] = {}
        for line, item in enumerate(items):
            if item.sku in first_line:
                raise ValueError(
                    f"sku {item.sku} is in lines {first_line[item.sku]} and {line}: "
                    "give each sku one line with its whole quantity"
                )
            first_line[item.sku] = line
        return items


class OrderStatusUpdate(BaseModel):
    """Task payload from the checkout state machine."""

    # The payload is the whole execution state (the customer's address too): errors never
    # quote it.
    model_config = ConfigDict(hide_input_in_errors=True)

    orderId: Identifier = Field(max_length=64)
    status: Literal["CONFIRMED", "FAILED"]
    reason: str | None = Field(default=None, max_length=256)
    # FlagOrderForReconciliation: a compensation did not complete; the reconciler takes over.
    reconcile: bool = Field(default=False, strict=True)

    @model_validator(mode="after")
    def _only_failed_orders_are_reconciled(self) -> "OrderStatusUpdate":
        if self.reconcile and self.status != "FAILED":
            raise ValueError("only a FAILED order is handed to the reconciler")
        return self


class ExecutionStatusChangeDetail(BaseModel):
    """The part of Step Functions' "Execution Status Change" event the reconciler reads."""

    name: str = Field(min_length=1, max_length=80)  # the execution is named after the order
    status: str
    stateMachineArn: str


class ExecutionStatusChange(BaseModel):
    """As EventBridge delivers it (here through the reconcile queue). A plain model rather than
    Powertools' EventBridgeModel: importing the parser's models would slow the API's cold start."""

    source: Literal["aws.states"]
    detail_type: Literal["Step Functions Execution Status Change"] = Field(alias="detail-type")
    detail: ExecutionStatusChangeDetail


# --- What the API answers (documented in the OpenAPI document; the handler returns dicts) ---


class OrderLine(BaseModel):
    sku: str
    quantity: int
    unitPriceCents: int
    name: str


class OrderView(BaseModel):
    """An order as its customer sees it."""

    orderId: str
    customerId: str
    email: str
    items: list[OrderLine]
    amountCents: int
    currency: str
    status: Literal["PENDING", "CONFIRMED", "FAILED"]
    reason: str | None = Field(
        default=None, description="why a FAILED order failed (ASL error name)"
    )
    createdAt: str
    updatedAt: str


class CheckoutStep(BaseModel):
    step: str = Field(description="the state machine's state, e.g. ReserveStock")
    attempts: int = Field(description="how many times it ran (retries included)")
    outcome: Literal["succeeded", "failed", "running"]
    error: str | None = Field(default=None, description="the last attempt's error name, if any")


class CheckoutSteps(BaseModel):
    """The steps an order's checkout went through, in order (tasks only)."""

    orderId: str
    steps: list[CheckoutStep]


class OrderPage(BaseModel):
    orders: list[OrderView]
    nextToken: str | None = Field(
        description="pass as nextToken for the next page; null on the last"
    )


class ValidationProblem(BaseModel):
    loc: list[str | int]
    type: str
    msg: str | None = None


class GatewayError(BaseModel):
    """What API Gateway itself answers (its authorizer's 401s, throttling, 5xx it raises)."""

    message: str


class ErrorResponse(BaseModel):
    """Every 4xx/5xx the API answers itself: the status again and a message naming the problem."""

    statusCode: int
    message: str
    detail: list[ValidationProblem] | None = Field(
        default=None, description="for 422: each invalid field and the rule it broke"
    )
