"""QuotePrices: prices a cart from the catalog for the orders API (direct Lambda Invoke).

Stock is not checked here; ReserveStock does that when the order runs.
"""

import gc

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service.domain import price_cart
from inventory_service.models import QuotePricesRequest
from inventory_service.repository import InventoryRepository, table_from_environment

logger = Logger()
tracer = Tracer()
repository = InventoryRepository(table_from_environment())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    request = parse(event=event, model=QuotePricesRequest)
    quantities = request.quantities()
    quote = price_cart(quantities, repository.batch_get_products(quantities))
    logger.info("cart priced", extra={"skus": len(quantities), "amountCents": quote["amountCents"]})
    return quote


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
