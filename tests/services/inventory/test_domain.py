from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from inventory_service.domain import (
    MAX_DISTINCT_SKUS,
    Product,
    ReleaseOutcome,
    Reservation,
    ReservationStatus,
    merge_quantities,
    now,
    price_cart,
    product_view,
    release_result_for_existing,
    reservation_result,
)
from inventory_service.errors import UnknownSku
from inventory_service.models import OrderTask, QuotePricesRequest, ReserveStockRequest

TSHIRT = Product(sku="SKU-TSHIRT-BLK-M", name="Classic T-Shirt", price_cents=1299, stock=5)
MUG = Product(sku="SKU-MUG-WHT-12OZ", name="Mug", price_cents=1450, stock=0)


def test_now_is_utc_iso_to_the_millisecond():
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = now()
    assert datetime.fromisoformat(stamp) >= before
    assert stamp.endswith("+00:00")
    assert len(stamp) == len("2026-11-26T12:00:00.000+00:00")


def test_merge_quantities_sums_duplicates_and_keeps_first_seen_order():
    merged = merge_quantities([("B", 1), ("A", 2), ("B", 3)])
    assert merged == {"B": 4, "A": 2}
    assert list(merged) == ["B", "A"]


def test_price_cart_totals_in_cents():
    quote = price_cart({TSHIRT.sku: 2, MUG.sku: 1}, {TSHIRT.sku: TSHIRT, MUG.sku: MUG})
    assert quote == {
        "currency": "USD",
        "amountCents": 2 * 1299 + 1450,
        "items": [
            {"sku": TSHIRT.sku, "quantity": 2, "unitPriceCents": 1299, "name": TSHIRT.name},
            {"sku": MUG.sku, "quantity": 1, "unitPriceCents": 1450, "name": MUG.name},
        ],
    }


def test_price_cart_names_every_unknown_sku():
    with pytest.raises(UnknownSku) as raised:
        price_cart({"SKU-X": 1, TSHIRT.sku: 1, "SKU-Y": 2}, {TSHIRT.sku: TSHIRT})
    assert str(raised.value) == "unknown sku(s): SKU-X, SKU-Y"
    assert raised.value.skus == ("SKU-X", "SKU-Y")


def test_product_view_never_shows_negative_availability():
    oversold = Product(sku="S", name="n", price_cents=1, stock=-2)
    assert product_view(oversold)["available"] == 0
    assert product_view(TSHIRT) == {
        "sku": TSHIRT.sku,
        "name": TSHIRT.name,
        "priceCents": 1299,
        "currency": "USD",
        "available": 5,
    }


@pytest.mark.parametrize(
    ("status", "tombstone", "expected"),
    [
        (ReservationStatus.RESERVED, False, None),
        (ReservationStatus.COMMITTED, False, None),
        (ReservationStatus.RELEASED, False, ReleaseOutcome.RELEASED),
        (ReservationStatus.RELEASED, True, ReleaseOutcome.NOTHING_TO_RELEASE),
    ],
)
def test_release_result_for_existing(status, tombstone, expected):
    reservation = Reservation("o-1", {"S": 1}, status, tombstone=tombstone)
    assert release_result_for_existing(reservation) is expected


def test_reservation_result_uses_order_id_as_reservation_id():
    reservation = Reservation("o-1", {"S": 1}, ReservationStatus.RESERVED)
    assert reservation_result(reservation) == {"reservationId": "o-1", "status": "RESERVED"}


def test_reserve_request_merges_duplicates_and_ignores_unrelated_fields():
    request = ReserveStockRequest.model_validate(
        {
            "orderId": "o-1",
            "paymentToken": "tok_visa",
            "items": [
                {"sku": "A", "quantity": 1, "unitPriceCents": 100},
                {"sku": "A", "quantity": 2},
            ],
        }
    )
    assert request.order_id == "o-1"
    assert request.quantities() == {"A": 3}
    assert "paymentToken" not in request.model_dump()


def test_cart_limit_counts_distinct_skus():
    at_limit = [{"sku": f"S-{i}", "quantity": 1} for i in range(MAX_DISTINCT_SKUS)]
    ReserveStockRequest.model_validate({"orderId": "o", "items": [*at_limit, at_limit[0]]})
    over = [*at_limit, {"sku": "S-EXTRA", "quantity": 1}]
    with pytest.raises(ValidationError, match="at most 25 distinct skus"):
        ReserveStockRequest.model_validate({"orderId": "o", "items": over})
    with pytest.raises(ValidationError):
        QuotePricesRequest.model_validate({"items": over})


@pytest.mark.parametrize(
    "items",
    [[], [{"sku": "A", "quantity": 0}], [{"sku": "", "quantity": 1}], [{"sku": "A"}]],
)
def test_cart_rejects_malformed_lines(items):
    with pytest.raises(ValidationError):
        QuotePricesRequest.model_validate({"items": items})


def test_order_task_requires_order_id():
    with pytest.raises(ValidationError):
        OrderTask.model_validate({"orderId": ""})
    assert OrderTask.model_validate({"orderId": "o-1", "status": "x"}).order_id == "o-1"
