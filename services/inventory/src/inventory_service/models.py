"""Pydantic models for what crosses this service's edges (task payloads, invoke payloads).

Task payloads may carry the whole execution input (customer, email, payment token...):
unknown fields are ignored, never echoed or logged.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from inventory_service.domain import MAX_DISTINCT_SKUS, MAX_QUANTITY_PER_SKU, merge_quantities

# Identifiers (of customers, orders, skus, requests) become DynamoDB keys and log fields:
# printable ASCII without spaces or control characters; each use bounds the length.
IDENTIFIER_PATTERN = r"^[!-~]+$"
Identifier = Annotated[str, StringConstraints(min_length=1, pattern=IDENTIFIER_PATTERN)]
# As the seed script holds them: the catalog API takes a sku of up to 100 characters in its path.
MAX_SKU_LENGTH = 100


class _Payload(BaseModel):
    # A task payload is the whole execution state (the customer's address too): errors never
    # quote it.
    model_config = ConfigDict(populate_by_name=True, frozen=True, hide_input_in_errors=True)


class LineItem(_Payload):
    sku: Identifier = Field(max_length=MAX_SKU_LENGTH)
    # strict: "1", 1.0 or true is a caller's bug, not a quantity to coerce.
    quantity: int = Field(strict=True, ge=1, le=MAX_QUANTITY_PER_SKU)


class _Cart(_Payload):
    items: list[LineItem] = Field(min_length=1)

    @field_validator("items")
    @classmethod
    def _fits_one_transaction_and_the_per_sku_limit(cls, items: list[LineItem]) -> list[LineItem]:
        merged = merge_quantities((item.sku, item.quantity) for item in items)
        if len(merged) > MAX_DISTINCT_SKUS:
            raise ValueError(
                f"a cart may hold at most {MAX_DISTINCT_SKUS} distinct skus, got {len(merged)}"
            )
        # Lines of one sku are merged, so the limit holds for their sum, not each line.
        over = [
            f"{sku} ({quantity})"
            for sku, quantity in merged.items()
            if quantity > MAX_QUANTITY_PER_SKU
        ]
        if over:
            raise ValueError(
                f"at most {MAX_QUANTITY_PER_SKU} units of a sku per order, lines merged; "
                f"over it: {', '.join(over)}"
            )
        return items

    def quantities(self) -> dict[str, int]:
        return merge_quantities((item.sku, item.quantity) for item in self.items)


class QuotePricesRequest(_Cart):
    """Lambda Invoke payload from the orders API."""


class ReserveStockRequest(_Cart):
    order_id: Identifier = Field(alias="orderId", max_length=128)


class OrderTask(_Payload):
    """CommitStock / ReleaseStock task payload."""

    order_id: Identifier = Field(alias="orderId", max_length=128)


# --- What the catalog API answers (documented in the OpenAPI document; handlers return dicts) ---


class ProductView(BaseModel):
    sku: str
    name: str
    priceCents: int
    currency: str
    available: int = Field(description="what can still be bought")


class ProductPage(BaseModel):
    items: list[ProductView]
    nextToken: str | None = Field(
        default=None, description="pass as nextToken for the next page; absent on the last"
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
