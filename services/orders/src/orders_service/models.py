"""Pydantic models at the service's edges: the API body and the workflow task payload."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,63}$")]


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=100)


class CreateOrderRequest(BaseModel):
    """What a client may send. Prices are not accepted: the catalog prices the cart."""

    model_config = ConfigDict(extra="forbid")

    customerId: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    # A provider token from the payment page, never card data.
    paymentToken: Annotated[str, StringConstraints(pattern=r"^tok_[A-Za-z0-9_]{1,60}$")]
    items: list[LineItem] = Field(min_length=1, max_length=25)


class OrderStatusUpdate(BaseModel):
    """Task payload from the checkout state machine."""

    orderId: Annotated[str, StringConstraints(min_length=1, max_length=64)]
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


class OrderPage(BaseModel):
    orders: list[OrderView]
    nextToken: str | None = Field(
        description="pass as nextToken for the next page; null on the last"
    )


class ValidationProblem(BaseModel):
    loc: list[str | int]
    type: str
    msg: str | None = None


class ErrorResponse(BaseModel):
    """Every 4xx/5xx the API answers itself: the status again and a message naming the problem."""

    statusCode: int
    message: str
    detail: list[ValidationProblem] | None = Field(
        default=None, description="for 422: each invalid field and the rule it broke"
    )
