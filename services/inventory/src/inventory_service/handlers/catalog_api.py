"""Catalog read API: GET /products and GET /products/<sku>.

The REST API itself belongs to the root template; this function only resolves routes.
"""

import gc
from typing import Annotated

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service import catalog
from inventory_service.config import InventorySettings
from inventory_service.dynamodb import InvalidPageToken
from inventory_service.errors import ProductNotFound
from inventory_service.observability import logger, tracer
from inventory_service.repository import InventoryRepository

settings = InventorySettings.from_environment()
repository = InventoryRepository(boto3.client("dynamodb"), settings.inventory_table_name)
app = APIGatewayRestResolver(enable_validation=True)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@app.get("/products")
@tracer.capture_method
def list_products(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=512)] = None,
) -> dict:
    try:
        return catalog.list_products(limit=limit, page_token=next_token, catalog=repository)
    except InvalidPageToken as error:
        raise BadRequestError(str(error)) from error


@app.get("/products/<sku>")
@tracer.capture_method
def get_product(sku: Annotated[str, Path(min_length=1, max_length=100)]) -> dict:
    try:
        return catalog.read_product(sku, catalog=repository)
    except ProductNotFound as error:
        raise NotFoundError(str(error)) from error


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
