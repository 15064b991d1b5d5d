"""CatalogApiFunction: the public catalog, GET /products and GET /products/<sku>.

Routes and validation by the Powertools Event Handler; reads in `catalog`. The REST API itself
belongs to the root template; this function resolves routes and maps errors to HTTP in the
same shape as the orders API.
"""

import gc
from http import HTTPStatus
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_service import catalog
from inventory_service.config import CatalogApiSettings
from inventory_service.dynamodb import InvalidPageToken
from inventory_service.errors import NotARestApiEvent, ProductNotFound
from inventory_service.models import (
    IDENTIFIER_PATTERN,
    MAX_SKU_LENGTH,
    ErrorResponse,
    ProductPage,
    ProductView,
)
from inventory_service.observability import logger, tracer
from inventory_service.repository import InventoryRepository

settings = CatalogApiSettings.from_environment()
repository = InventoryRepository(boto3.client("dynamodb"), settings.inventory_table_name)
# The storefront calls from its own origin; API Gateway answers the preflight (the template's Cors).
app = APIGatewayRestResolver(
    enable_validation=True, cors=CORSConfig(allow_origin=settings.allowed_origin)
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
JSON = content_types.APPLICATION_JSON
INVALID = (422, "the request breaks the schema: each field is named")


def _documented(ok_model: type, description: str, *errors: tuple[int, str]) -> dict:
    """The responses a route really gives, for the published OpenAPI document."""
    responses = {200: {"description": description, "content": {JSON: {"model": ok_model}}}}
    for status, why in errors:
        responses[status] = {"description": why, "content": {JSON: {"model": ErrorResponse}}}
    return responses


@app.get(
    "/products",
    summary="List the catalog in sku order",
    responses=_documented(
        ProductPage,
        "a page of products",
        (400, "nextToken is not a token this API issued"),
        INVALID,
    ),
)
@tracer.capture_method
def list_products(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=512)] = None,
) -> dict:
    return catalog.list_products(limit=limit, page_token=next_token, catalog=repository)


@app.get(
    "/products/<sku>",
    summary="Read one product, with its price and available stock",
    responses=_documented(ProductView, "the product", (404, "no product with this sku"), INVALID),
)
@tracer.capture_method
def get_product(
    sku: Annotated[str, Path(min_length=1, max_length=MAX_SKU_LENGTH, pattern=IDENTIFIER_PATTERN)],
) -> dict:
    return catalog.read_product(sku, catalog=repository)


def _error(status: HTTPStatus, message: str, **extra: Any) -> Response:
    body = {"statusCode": status, "message": message, **extra}
    return Response(status_code=status, content_type=JSON, body=body)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    # Powertools hides pydantic's messages by default; ours name the field and the rule only.
    details = [{"loc": e["loc"], "type": e["type"], "msg": e.get("msg")} for e in error.errors()]
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, "request is not valid", detail=details)


@app.exception_handler(InvalidPageToken)
def invalid_page_token(error: InvalidPageToken) -> Response:
    return _error(HTTPStatus.BAD_REQUEST, str(error))


@app.exception_handler(ProductNotFound)
def product_not_found(error: ProductNotFound) -> Response:
    return _error(HTTPStatus.NOT_FOUND, str(error))


def _refuse_other_events(event: Any) -> None:
    """Before routing: Powertools reads httpMethod and path without looking, so any other event
    (an HTTP API v2 payload has neither) would fail deep inside it with a KeyError."""
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    if not (
        isinstance(request_context, dict)
        and "resourcePath" in request_context
        and isinstance(event.get("httpMethod"), str)
        and isinstance(event.get("path"), str)
    ):
        raise NotARestApiEvent()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    _refuse_other_events(event)
    return app.resolve(event, context)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
