"""Pydantic models at the service's edges: the API body and the workflow task payload."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
