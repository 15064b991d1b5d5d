"""The catalog: list products a page at a time, read one, price a cart for QuotePrices.

Stock is shown as what can still be bought and is never checked here: ReserveStock does that
when the order runs.
"""

from aws_lambda_powertools.metrics import MetricUnit

from inventory_service.domain import price_cart, product_view
from inventory_service.errors import ProductNotFound, UnknownSku
from inventory_service.models import QuotePricesRequest
from inventory_service.observability import logger, metrics
from inventory_service.repository import InventoryRepository


def list_products(*, limit: int, page_token: str | None, catalog: InventoryRepository) -> dict:
    """One page of the catalog in sku order, with `nextToken` unless it is the last page."""
    products, next_token = catalog.list_products(limit=limit, page_token=page_token)
    page: dict = {"items": [product_view(product) for product in products]}
    if next_token is not None:
        page["nextToken"] = next_token
    return page


def read_product(sku: str, *, catalog: InventoryRepository) -> dict:
    product = catalog.get_product(sku)
    if product is None:
        raise ProductNotFound(sku)
    return product_view(product)


def quote_prices(request: QuotePricesRequest, *, catalog: InventoryRepository) -> dict:
    """The cart priced from the catalog; every unknown sku is named (UnknownSku)."""
    quantities = request.quantities()
    try:
        quote = price_cart(quantities, catalog.batch_get_products(quantities))
    except UnknownSku:
        # A customer's cart, not a fault: counted so the errors alarm can leave it out.
        metrics.add_metric(name="UnknownSku", unit=MetricUnit.Count, value=1)
        raise
    logger.info("cart priced", extra={"skus": len(quantities), "amountCents": quote["amountCents"]})
    return quote
