"""The catalog use cases (catalog.py) against the moto table."""

import pytest

from inventory_service.dynamodb import InvalidPageToken
from inventory_service.errors import ProductNotFound, UnknownSku
from inventory_service.models import QuotePricesRequest


@pytest.fixture
def catalog_use_cases(use_case):
    return use_case("catalog")


def test_list_products_walks_the_catalog_in_sku_order(catalog_use_cases, repository, catalog):
    seen, token, pages = [], None, 0
    while True:
        page = catalog_use_cases.list_products(limit=4, page_token=token, catalog=repository)
        pages += 1
        seen += [item["sku"] for item in page["items"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == sorted(catalog)
    assert pages == 2


def test_list_products_refuses_a_foreign_token(catalog_use_cases, repository, catalog):
    with pytest.raises(InvalidPageToken, match="nextToken"):
        catalog_use_cases.list_products(
            limit=4, page_token="eyJhZnRlciI6IngifQ", catalog=repository
        )


def test_read_product_shows_what_can_be_bought(catalog_use_cases, repository, seed):
    seed([{"sku": "SKU-A", "name": "A", "priceCents": 5, "stock": 0, "currency": "EUR"}])
    assert catalog_use_cases.read_product("SKU-A", catalog=repository) == {
        "sku": "SKU-A",
        "name": "A",
        "priceCents": 5,
        "currency": "EUR",
        "available": 0,
    }
    with pytest.raises(ProductNotFound, match="product SKU-NOPE not found"):
        catalog_use_cases.read_product("SKU-NOPE", catalog=repository)


def test_quote_prices_names_every_unknown_sku(catalog_use_cases, repository, catalog):
    request = QuotePricesRequest.model_validate(
        {"items": [{"sku": "SKU-X", "quantity": 1}, {"sku": "SKU-MUG-WHT-12OZ", "quantity": 2}]}
    )
    with pytest.raises(UnknownSku, match=r"unknown sku\(s\): SKU-X$"):
        catalog_use_cases.quote_prices(request, catalog=repository)
