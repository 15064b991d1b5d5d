import pytest
from pydantic import ValidationError

from inventory_service.errors import OutOfStock, UnknownSku

POSTER = "SKU-POSTER-LTD-A2"


@pytest.fixture
def reserve(handler_module, lambda_context):
    module = handler_module("reserve_stock")
    return lambda payload: module.handler(payload, lambda_context)


def test_reserve_sample_event(reserve, event, catalog, stock, emitted_metrics):
    payload = event("reserve-stock.json")
    result = reserve(payload)
    assert result == {"reservationId": payload["orderId"], "status": "RESERVED"}
    for line in payload["items"]:
        assert stock(line["sku"]) == catalog[line["sku"]]["stock"] - line["quantity"]
    assert emitted_metrics() == ["StockReserved"]


def test_reserve_twice_same_result_stock_taken_once(
    reserve, event, catalog, stock, snapshot, emitted_metrics
):
    payload = event("reserve-stock.json")
    first = reserve(payload)
    after_first = snapshot()
    assert reserve(payload) == first
    assert snapshot() == after_first
    assert emitted_metrics() == ["StockReserved"]


def test_duplicate_skus_are_merged(reserve, catalog, stock, table):
    sku = "SKU-TSHIRT-BLK-M"
    reserve({"orderId": "o-dup", "items": [{"sku": sku, "quantity": 1}] * 3})
    assert stock(sku) == catalog[sku]["stock"] - 3
    reservation = table.get_item(Key={"pk": "RESERVATION#o-dup"})["Item"]
    assert reservation["items"] == [{"sku": sku, "quantity": 3}]


def test_out_of_stock_writes_nothing(reserve, event, catalog, snapshot, emitted_metrics):
    payload = event("reserve-stock.json")
    payload["items"].append({"sku": "SKU-SNEAKER-WHT-42", "quantity": 1})
    before = snapshot()
    with pytest.raises(OutOfStock, match="SKU-SNEAKER-WHT-42"):
        reserve(payload)
    assert snapshot() == before
    assert emitted_metrics() == ["OutOfStock"]


def test_unknown_sku_writes_nothing(reserve, event, catalog, snapshot, emitted_metrics):
    payload = event("reserve-stock.json")
    payload["items"] += [{"sku": "SKU-X", "quantity": 1}, {"sku": "SKU-Y", "quantity": 1}]
    before = snapshot()
    emitted_metrics()
    with pytest.raises(UnknownSku, match="unknown sku\\(s\\): SKU-X, SKU-Y"):
        reserve(payload)
    assert snapshot() == before
    assert emitted_metrics() == ["UnknownSku"]  # a business outcome, left out of the errors alarm


def test_too_many_distinct_skus_is_a_validation_error(reserve, catalog, snapshot):
    items = [{"sku": f"SKU-{i}", "quantity": 1} for i in range(26)]
    before = snapshot()
    with pytest.raises(ValidationError):
        reserve({"orderId": "o-big", "items": items})
    assert snapshot() == before


def test_malformed_payload_writes_nothing(reserve, catalog, snapshot):
    before = snapshot()
    with pytest.raises(ValidationError):
        reserve({"items": [{"sku": POSTER, "quantity": 1}]})
    assert snapshot() == before


def test_last_unit_goes_to_exactly_one_order(reserve, catalog, stock):
    winners, losers = [], []
    for order_id in ("o-a", "o-b"):
        try:
            winners.append(
                reserve({"orderId": order_id, "items": [{"sku": POSTER, "quantity": 1}]})
            )
        except OutOfStock:
            losers.append(order_id)
    assert winners == [{"reservationId": "o-a", "status": "RESERVED"}]
    assert losers == ["o-b"]
    assert stock(POSTER) == 0


@pytest.mark.parametrize("quantity", ["1", 1.0, True], ids=["string", "float", "boolean"])
def test_a_quantity_that_is_not_an_integer_is_refused_not_coerced(
    reserve, catalog, snapshot, quantity
):
    before = snapshot()
    with pytest.raises(ValidationError, match="quantity"):
        reserve({"orderId": "o-lax", "items": [{"sku": POSTER, "quantity": quantity}]})
    assert snapshot() == before


def test_duplicate_lines_past_the_per_sku_limit_are_refused_naming_the_sku(
    reserve, catalog, snapshot
):
    sku = "SKU-MUG-WHT-12OZ"
    before = snapshot()
    with pytest.raises(ValidationError, match=f"at most 100 units of a sku.*{sku} \\(2500\\)"):
        reserve({"orderId": "o-bulk", "items": [{"sku": sku, "quantity": 100}] * 25})
    assert snapshot() == before


def test_duplicate_lines_up_to_the_per_sku_limit_are_merged(reserve, seed, stock):
    seed([{"sku": "SKU-BULK", "name": "Bulk", "priceCents": 1, "stock": 150}])
    reserve({"orderId": "o-split", "items": [{"sku": "SKU-BULK", "quantity": 50}] * 2})
    assert stock("SKU-BULK") == 50


@pytest.mark.parametrize(
    "payload",
    [
        {"orderId": "o\u00001", "items": [{"sku": POSTER, "quantity": 1}]},
        {"orderId": "o 1", "items": [{"sku": POSTER, "quantity": 1}]},
        {"orderId": "o-1", "items": [{"sku": f"{POSTER}\u0000", "quantity": 1}]},
        {"orderId": "o-1", "items": [{"sku": "SKU POSTER", "quantity": 1}]},
    ],
    ids=["NUL in the order id", "space in the order id", "NUL in a sku", "space in a sku"],
)
def test_an_identifier_with_control_characters_or_spaces_is_refused(
    reserve, catalog, snapshot, payload
):
    before = snapshot()
    with pytest.raises(ValidationError, match="string_pattern_mismatch"):
        reserve(payload)
    assert snapshot() == before
