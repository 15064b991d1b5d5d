"""The operators' seed script (services/inventory/seed/seed_catalog.py): what it writes is what
the service reads, so the seed format cannot drift from the repository's."""

import json

import pytest

SEED_SCRIPT_PRODUCTS = [
    {"sku": "SKU-SEED-B", "name": "Seeded B", "priceCents": 250, "stock": 4},
    {"sku": "SKU-SEED-A", "name": "Seeded A", "priceCents": 1999, "stock": 0, "currency": "EUR"},
]


def test_seeded_products_read_back_through_the_api_and_price_through_quote_prices(
    seed, handler_module, lambda_context, event
):
    seed(SEED_SCRIPT_PRODUCTS)
    api = handler_module("catalog_api")
    listing = event("catalog-api-list-products.json")
    listing["queryStringParameters"] = listing["multiValueQueryStringParameters"] = None
    response = api.handler(listing, lambda_context)
    assert json.loads(response["body"]) == {
        "items": [
            {
                "sku": "SKU-SEED-A",
                "name": "Seeded A",
                "priceCents": 1999,
                "currency": "EUR",
                "available": 0,
            },
            {
                "sku": "SKU-SEED-B",
                "name": "Seeded B",
                "priceCents": 250,
                "currency": "USD",
                "available": 4,
            },
        ]
    }
    quote = handler_module("quote_prices").handler(
        {"items": [{"sku": "SKU-SEED-A", "quantity": 1}, {"sku": "SKU-SEED-B", "quantity": 3}]},
        lambda_context,
    )
    assert quote["amountCents"] == 1999 + 3 * 250


def test_seeding_replaces_a_product(seed, repository):
    seed(SEED_SCRIPT_PRODUCTS)
    seed([{**SEED_SCRIPT_PRODUCTS[0], "stock": 40, "name": "Renamed"}])
    product = repository.get_product("SKU-SEED-B")
    assert (product.name, product.stock) == ("Renamed", 40)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sku": ""}, "sku"),
        ({"sku": "SKU SPACE"}, "sku"),
        ({"sku": "SKU-\u00e9"}, "sku"),
        ({"name": None}, "name"),
        ({"priceCents": 12.5}, "priceCents"),
        ({"priceCents": "1299"}, "priceCents"),
        ({"stock": -1}, "stock"),
        ({"stock": True}, "stock"),
        ({"currency": "usd"}, "currency"),
        ({"price": 1}, "price"),
    ],
)
def test_a_bad_product_is_named_and_nothing_is_written(seed, snapshot, change, field):
    products = [SEED_SCRIPT_PRODUCTS[0], {**SEED_SCRIPT_PRODUCTS[1], **change}]
    with pytest.raises(ValueError, match=f"product 1 .*{field}"):
        seed(products)
    assert snapshot() == []


def test_a_missing_field_is_named(seed):
    with pytest.raises(ValueError, match=r"missing field\(s\) \['stock'\]"):
        seed([{"sku": "S", "name": "n", "priceCents": 1}])


def test_cli_seeds_the_sample_catalog_by_default(seed_script, table, repository, capsys):
    assert seed_script["main"](["--table", table.name, "--region", "us-east-1"]) == 0
    listed, _ = repository.list_products(limit=100)
    sample = json.loads(seed_script["SAMPLE_CATALOG"].read_text())
    assert {p.sku: (p.name, p.price_cents, p.stock, p.currency) for p in listed} == {
        p["sku"]: (p["name"], p["priceCents"], p["stock"], sample["currency"])
        for p in sample["products"]
    }
    assert capsys.readouterr().out == f"{len(listed)} products written to {table.name}\n"


def test_cli_reports_a_bad_catalog(seed_script, table, snapshot, tmp_path, capsys):
    bad = tmp_path / "catalog.json"
    products = [{"sku": "S", "name": "n", "priceCents": -5, "stock": 1}]
    bad.write_text(json.dumps({"products": products}))
    assert seed_script["main"](["--table", table.name, "--catalog", str(bad)]) == 1
    assert "priceCents must be a whole number >= 0, got -5" in capsys.readouterr().err
    assert snapshot() == []
