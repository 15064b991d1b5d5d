"""Inventory business rules. Plain Python: no AWS calls here."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from inventory_service.errors import ReservationReleased, UnknownSku

CATALOG_CURRENCY = "USD"

# DynamoDB transactions take up to 100 items; a reservation touches one item per sku plus the
# reservation itself. 25 keeps ample headroom and matches what a checkout cart needs.
MAX_DISTINCT_SKUS = 25
# What one order may take of one sku, its lines merged (the orders API takes 100 per line).
MAX_QUANTITY_PER_SKU = 100


def now() -> str:
    """The service's one clock: UTC, ISO 8601, milliseconds (sortable as a string)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


class ReleaseOutcome(StrEnum):
    RELEASED = "RELEASED"
    NOTHING_TO_RELEASE = "NOTHING_TO_RELEASE"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int
    stock: int
    currency: str = CATALOG_CURRENCY

    @property
    def available(self) -> int:
        return max(self.stock, 0)


@dataclass(frozen=True)
class Reservation:
    order_id: str
    quantities: Mapping[str, int]
    status: ReservationStatus
    # A tombstone is written by a release that found no reservation, so that a late reserve
    # for the same order cannot take stock that nobody will ever give back.
    tombstone: bool = False


def merge_quantities(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Sums quantities per sku, keeping first-seen order.

    A DynamoDB transaction cannot touch the same item twice, and a quote is clearer per sku.
    """
    merged: dict[str, int] = {}
    for sku, quantity in lines:
        merged[sku] = merged.get(sku, 0) + quantity
    return merged


def price_cart(quantities: Mapping[str, int], products: Mapping[str, Product]) -> dict:
    """Prices a merged cart; every sku must be in the catalog (all unknown ones are named)."""
    unknown = [sku for sku in quantities if sku not in products]
    if unknown:
        raise UnknownSku(unknown)
    lines = [
        {
            "sku": sku,
            "quantity": quantity,
            "unitPriceCents": products[sku].price_cents,
            "name": products[sku].name,
        }
        for sku, quantity in quantities.items()
    ]
    return {
        "currency": CATALOG_CURRENCY,
        "amountCents": sum(
            products[sku].price_cents * quantity for sku, quantity in quantities.items()
        ),
        "items": lines,
    }


def reservation_result(reservation: Reservation) -> dict:
    """ReserveStock task result for a reservation that holds stock (RESERVED or COMMITTED).

    A reservation already released (or a release tombstone) means the order's saga has moved
    on to compensating: a late reserve must fail, never report success and let payment run.
    """
    if reservation.status is ReservationStatus.RELEASED:
        raise ReservationReleased(reservation.order_id)
    return {"reservationId": reservation.order_id, "status": str(reservation.status)}


def release_result_for_existing(reservation: Reservation) -> ReleaseOutcome | None:
    """What a release returns without writing, or None when stock must be given back."""
    if reservation.status is not ReservationStatus.RELEASED:
        return None
    return ReleaseOutcome.NOTHING_TO_RELEASE if reservation.tombstone else ReleaseOutcome.RELEASED


def product_view(product: Product) -> dict:
    """Public catalog representation (stock is shown as what can still be bought)."""
    return {
        "sku": product.sku,
        "name": product.name,
        "priceCents": product.price_cents,
        "currency": product.currency,
        "available": product.available,
    }
