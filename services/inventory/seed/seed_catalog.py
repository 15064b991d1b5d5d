"""Seeds the inventory catalog: creates or replaces products in the inventory table.

Operators run it once after a first deploy (the table starts empty), and again to change
products:

    python services/inventory/seed/seed_catalog.py --table TABLE_NAME [--catalog PATH]
        [--endpoint-url URL] [--region REGION]

TABLE_NAME is the stack's `InventoryTableName` output; without --catalog it loads
sample-catalog.json beside this script ({"currency": ..., "products": [{"sku", "name",
"priceCents", "stock", optional "currency"}]}).

It lives outside src/ so it never ships with the Lambda code, and needs only the standard
library and boto3. It writes the item format inventory_service's repository reads; it does not
import the service, so tests/services/inventory seed through this script and read the products
back through the service's functions, which keeps the two from drifting apart. The local runner
loads it with runpy.run_path and calls seed_products.
"""

import argparse
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

SAMPLE_CATALOG = Path(__file__).with_name("sample-catalog.json")
DEFAULT_CURRENCY = "USD"
_REQUIRED = ("sku", "name", "priceCents", "stock")
_FIELDS = {*_REQUIRED, "currency"}
# What the catalog API and the checkout tasks take as a sku: printable ASCII without spaces or
# control characters, up to 100 characters; a sku outside that could be seeded but never sold.
_MAX_SKU_LENGTH = 100
_SKU = re.compile(r"^[!-~]+$")


def seed_products(client: Any, table_name: str, products: list[dict]) -> None:
    """Creates or replaces each product. Every product is checked before any is written, so a
    catalog with a mistake writes nothing; the error names the product and the field."""
    items = [_product_item(index, product) for index, product in enumerate(products)]
    for item in items:
        client.put_item(TableName=table_name, Item=item)


def load_catalog(path: Path) -> list[dict]:
    """The products of a catalog file, the file's "currency" (if any) as their default."""
    catalog = json.loads(path.read_text())
    currency = catalog.get("currency")
    return [
        {"currency": currency, **product} if currency is not None else product
        for product in catalog["products"]
    ]


def _product_item(index: int, product: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The product as the repository reads it (low-level DynamoDB JSON)."""
    if not isinstance(product, Mapping):
        raise ValueError(f"product {index}: must be an object, got {product!r}")
    where = f"product {index} ({product.get('sku', 'no sku')})"
    missing = [name for name in _REQUIRED if name not in product]
    unknown = sorted(set(product) - _FIELDS)
    if missing or unknown:
        raise ValueError(f"{where}: missing field(s) {missing}, unknown field(s) {unknown}")
    sku, name = product["sku"], product["name"]
    currency = product.get("currency", DEFAULT_CURRENCY)
    if not isinstance(sku, str) or not 0 < len(sku) <= _MAX_SKU_LENGTH or not _SKU.match(sku):
        raise ValueError(
            f"{where}: sku must be 1 to {_MAX_SKU_LENGTH} printable ASCII characters without "
            f"spaces, got {sku!r}"
        )
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: name must be a non-empty string, got {name!r}")
    for field in ("priceCents", "stock"):
        value = product[field]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where}: {field} must be a whole number >= 0, got {value!r}")
    if not isinstance(currency, str) or not re.fullmatch("[A-Z]{3}", currency):
        raise ValueError(f"{where}: currency must be an ISO code like USD, got {currency!r}")
    return {
        "pk": {"S": f"PRODUCT#{sku}"},
        "entity": {"S": "PRODUCT"},
        "sku": {"S": sku},
        "name": {"S": name},
        "priceCents": {"N": str(product["priceCents"])},
        "currency": {"S": currency},
        "stock": {"N": str(product["stock"])},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create or replace the inventory catalog.")
    parser.add_argument("--table", required=True, help="the inventory table's name")
    parser.add_argument("--catalog", type=Path, default=SAMPLE_CATALOG, help="catalog JSON file")
    parser.add_argument("--endpoint-url", help="a DynamoDB endpoint other than AWS's")
    parser.add_argument("--region", help="the table's region (default: the AWS configuration's)")
    args = parser.parse_args(argv)
    products = load_catalog(args.catalog)
    client = boto3.client("dynamodb", endpoint_url=args.endpoint_url, region_name=args.region)
    try:
        seed_products(client, args.table, products)
    except ValueError as error:
        print(f"{args.catalog}: {error}", file=sys.stderr)
        return 1
    print(f"{len(products)} products written to {args.table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
