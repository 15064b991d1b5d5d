"""Catalog read API: GET /products and GET /products/<sku>.

The REST API itself belongs to the root template; this function only resolves routes.
"""

import base64
import binascii
import gc
import json
from typing import Annotated

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service.domain import product_view
from inventory_service.repository import InventoryRepository, table_from_environment

logger = Logger()
tracer = Tracer()
app = APIGatewayRestResolver(enable_validation=True)
repository = InventoryRepository(table_from_environment())

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def encode_page_token(last_sku: str) -> str:
    """Opaque to clients; it only carries the last sku served."""
    raw = json.dumps({"after": last_sku}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise BadRequestError("nextToken is not valid; use the value returned by the API") from exc
    if not isinstance(after, str) or not after:
        raise BadRequestError("nextToken is not valid; use the value returned by the API")
    return after


@app.get("/products")
@tracer.capture_method
def list_products(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=512)] = None,
) -> dict:
    after_sku = decode_page_token(next_token) if next_token is not None else None
    products, has_more = repository.list_products(limit=limit, after_sku=after_sku)
    page: dict = {"items": [product_view(product) for product in products]}
    if has_more:
        page["nextToken"] = encode_page_token(products[-1].sku)
    return page


@app.get("/products/<sku>")
@tracer.capture_method
def get_product(sku: Annotated[str, Path(min_length=1, max_length=100)]) -> dict:
    product = repository.get_product(sku)
    if product is None:
        raise NotFoundError(f"product {sku} not found")
    return product_view(product)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
