import pytest
from pydantic import ValidationError

from inventory_service.errors import UnknownSku


@pytest.fixture
def quote(handler_module, lambda_context):
    module = handler_module("quote_prices")
    return lambda payload: module.handler(payload, lambda_context)


def test_quote_sample_event(quote, event, catalog, snapshot):
    payload = event("quote-prices.json")
    before = snapshot()
    result = quote(payload)
    assert result["currency"] == "USD"
    assert result["items"] == [
        {
            "sku": line["sku"],
            "quantity": line["quantity"],
            "unitPriceCents": catalog[line["sku"]]["priceCents"],
            "name": catalog[line["sku"]]["name"],
        }
        for line in payload["items"]
    ]
    assert result["amountCents"] == sum(
        catalog[line["sku"]]["priceCents"] * line["quantity"] for line in payload["items"]
    )
    assert isinstance(result["amountCents"], int)
    assert snapshot() == before


def test_quote_ignores_stock(quote, catalog):
    result = quote({"items": [{"sku": "SKU-SNEAKER-WHT-42", "quantity": 3}]})
    assert result["amountCents"] == 3 * catalog["SKU-SNEAKER-WHT-42"]["priceCents"]


def test_quote_merges_duplicate_lines(quote, catalog):
    sku = "SKU-MUG-WHT-12OZ"
    result = quote({"items": [{"sku": sku, "quantity": 1}, {"sku": sku, "quantity": 2}]})
    assert [(line["sku"], line["quantity"]) for line in result["items"]] == [(sku, 3)]


def test_quote_names_all_unknown_skus(quote, event, catalog, emitted_metrics):
    payload = event("quote-prices.json")
    payload["items"] = [
        {"sku": "SKU-X", "quantity": 1},
        *payload["items"],
        {"sku": "SKU-Y", "quantity": 1},
    ]
    emitted_metrics()
    with pytest.raises(UnknownSku) as raised:
        quote(payload)
    assert str(raised.value) == "unknown sku(s): SKU-X, SKU-Y"
    assert emitted_metrics() == ["UnknownSku"]  # a business outcome, left out of the errors alarm


def test_quote_rejects_empty_cart(quote, catalog):
    with pytest.raises(ValidationError):
        quote({"items": []})


@pytest.mark.parametrize("quantity", ["2", 2.0, True], ids=["string", "float", "boolean"])
def test_quote_refuses_a_quantity_that_is_not_an_integer(quote, catalog, quantity):
    with pytest.raises(ValidationError, match="quantity"):
        quote({"items": [{"sku": "SKU-MUG-WHT-12OZ", "quantity": quantity}]})


def test_quote_refuses_lines_of_one_sku_past_the_per_sku_limit(quote, catalog):
    with pytest.raises(ValidationError, match="SKU-MUG-WHT-12OZ \\(101\\)"):
        quote(
            {
                "items": [
                    {"sku": "SKU-MUG-WHT-12OZ", "quantity": 100},
                    {"sku": "SKU-MUG-WHT-12OZ", "quantity": 1},
                ]
            }
        )
