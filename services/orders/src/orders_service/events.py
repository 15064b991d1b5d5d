"""The order lifecycle events on the bus: published contracts (contracts/events/).

The orders service owns them. The checkout state machine puts OrderPlaced, OrderConfirmed and
OrderFailed on its behalf (their Detail blocks in statemachine/checkout.asl.json), and the
reconciler puts OrderFailed itself (adapters/outcomes.py). The JSON Schema files in
contracts/events/ are generated from these models (`python -m localrun.contracts`); consumers
read those, never this module.

Versions: `VERSION` is major.minor. A change every event of the previous version's consumers
still understands (a new optional field, a tighter constraint) is a new minor; anything else is
a new major, a new contract that consumers move to. Consumers ignore fields they do not know.
"""

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import JsonDict

SOURCE = "ecommerce.checkout"

# Printable ASCII without spaces or control characters, as the API and the task models take them.
Identifier = Annotated[str, StringConstraints(min_length=1, pattern=r"^[!-~]+$")]


class _Detail(BaseModel):
    # Producers send exactly the contract: a field added here is added to the schema first.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    DETAIL_TYPE: ClassVar[str]
    VERSION: ClassVar[str]


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    sku: Identifier = Field(max_length=64)
    quantity: int = Field(strict=True, ge=1)
    unitPriceCents: int = Field(strict=True, ge=0)


class _OrderDetail(_Detail):
    orderId: Identifier = Field(max_length=64)
    # The user pool's `sub`, never an address: events are archived and read by every consumer.
    customerId: Identifier = Field(max_length=64)
    amountCents: int = Field(strict=True, ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    items: list[OrderLine] = Field(min_length=1)


_EXAMPLE_ORDER: JsonDict = {
    "orderId": "ord-7f3a9c1e",
    "customerId": "3f1c2a9e-5b7d-4e8f-a1b2-c3d4e5f60718",
    "amountCents": 3097,
    "currency": "USD",
    "items": [
        {"sku": "SKU-MUG-WHT-12OZ", "quantity": 2, "unitPriceCents": 1299},
        {"sku": "SKU-TSHIRT-BLK-M", "quantity": 1, "unitPriceCents": 499},
    ],
}


class OrderPlaced(_OrderDetail):
    """The checkout started for a stored order (its first step)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_ORDER]})

    DETAIL_TYPE = "OrderPlaced"
    VERSION = "1.0"


class OrderConfirmed(_OrderDetail):
    """Paid, stock committed, the order CONFIRMED."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_ORDER]})

    DETAIL_TYPE = "OrderConfirmed"
    VERSION = "1.0"


class OrderFailed(_OrderDetail):
    """The order FAILED; whatever the checkout had done for it was undone."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_EXAMPLE_ORDER, "reason": "PaymentDeclined"}]}
    )

    DETAIL_TYPE = "OrderFailed"
    VERSION = "1.0"

    reason: str = Field(
        min_length=1,
        max_length=256,
        description="the checkout's error name (PaymentDeclined, OutOfStock, CheckoutOverdue, "
        "...): for people and metrics, not shown to the customer as is",
    )


EVENTS: tuple[type[_Detail], ...] = (OrderPlaced, OrderConfirmed, OrderFailed)
