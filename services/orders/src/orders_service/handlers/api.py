"""Orders REST API: place an order, read one, list a customer's orders.

Thin by design: validation by the Event Handler (pydantic), rules in `domain`, storage in
`repository`, other services behind `catalog` (pricing) and `checkout` (the state machine).
"""

import binascii
import gc
import json
import os
from http import HTTPStatus
from typing import Annotated

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from orders_service import domain
from orders_service.catalog import CatalogPricing
from orders_service.checkout import CheckoutWorkflow
from orders_service.errors import (
    CatalogUnavailable,
    CheckoutNotStarted,
    OrderNotFound,
    UnknownSku,
)
from orders_service.models import CreateOrderRequest
from orders_service.repository import OrdersRepository

logger = Logger()
tracer = Tracer()
metrics = Metrics()

TABLE_NAME = os.environ["ORDERS_TABLE_NAME"]
dynamodb = boto3.client("dynamodb")
orders = OrdersRepository(dynamodb, TABLE_NAME)
catalog = CatalogPricing(boto3.client("lambda"), os.environ["QUOTE_PRICES_FUNCTION_ARN"])
checkout = CheckoutWorkflow(boto3.client("stepfunctions"), os.environ["CHECKOUT_STATE_MACHINE_ARN"])

# One order per customer and Idempotency-Key; reusing a key with another body is refused.
idempotency_config = IdempotencyConfig(
    event_key_jmespath="[customerId, idempotencyKey]",
    payload_validation_jmespath="request",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=24 * 60 * 60,
)
# The repository's client: the persistence layer builds a whole new boto3 session otherwise.
idempotency_store = DynamoDBPersistenceLayer(
    table_name=TABLE_NAME, key_attr="pk", boto3_client=dynamodb
)

app = APIGatewayRestResolver(enable_validation=True)

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=128)]


@app.post("/orders")
@tracer.capture_method
def create_order(order: CreateOrderRequest, idempotency_key: IdempotencyKey) -> Response[dict]:
    placed = place_order(
        command={
            "customerId": order.customerId,
            "idempotencyKey": idempotency_key,
            "request": order.model_dump(),
        }
    )
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=placed,
        headers={"Location": f"/orders/{placed['orderId']}"},
    )


@idempotent_function(
    data_keyword_argument="command",
    config=idempotency_config,
    persistence_store=idempotency_store,
)
def place_order(command: dict) -> dict:
    request = command["request"]
    order_id = domain.order_id_for(command["customerId"], command["idempotencyKey"])
    logger.append_keys(order_id=order_id)
    quote = catalog.quote([{"sku": i["sku"], "quantity": i["quantity"]} for i in request["items"]])
    order, created = orders.create(
        domain.new_order(order_id, request["customerId"], request["email"], quote, domain.now_iso())
    )
    if order["status"] != domain.PENDING:
        return domain.public_view(order)  # an old request replayed after its checkout ended
    try:
        checkout.start(order_id, domain.checkout_input(order, request["paymentToken"]))
    except CheckoutNotStarted:
        # Never leave an order PENDING with no workflow to finish it.
        orders.update_status(order_id, domain.FAILED, "CheckoutNotStarted", domain.now_iso())
        raise
    if created:
        metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    return domain.public_view(order)


@app.get("/orders/<orderId>")
@tracer.capture_method
def get_order(orderId: Annotated[str, Path(min_length=1, max_length=64)]) -> dict:
    return domain.public_view(orders.get(orderId))


@app.get("/orders")
@tracer.capture_method
def list_orders(
    customerId: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    nextToken: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict:
    try:
        items, token = orders.list_for_customer(customerId, limit, nextToken)
    except (binascii.Error, ValueError, json.JSONDecodeError):
        return _error(HTTPStatus.BAD_REQUEST, "nextToken is not a token this API issued")
    return {"orders": [domain.public_view(o) for o in items], "nextToken": token}


def _error(status: HTTPStatus, message: str, **extra) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"statusCode": status, "message": message, **extra},
    )


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    # Powertools hides pydantic's messages by default; ours name the field and the rule only.
    details = [{"loc": e["loc"], "type": e["type"], "msg": e.get("msg")} for e in error.errors()]
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, "request is not valid", detail=details)


@app.exception_handler(UnknownSku)
def unknown_sku(error: UnknownSku) -> Response:
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))


@app.exception_handler(OrderNotFound)
def order_not_found(error: OrderNotFound) -> Response:
    return _error(HTTPStatus.NOT_FOUND, str(error))


@app.exception_handler(IdempotencyValidationError)
def idempotency_key_reused(_: IdempotencyValidationError) -> Response:
    return _error(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "this Idempotency-Key was already used with a different request body",
    )


@app.exception_handler(IdempotencyAlreadyInProgressError)
def request_in_progress(_: IdempotencyAlreadyInProgressError) -> Response:
    return _error(HTTPStatus.CONFLICT, "a request with this Idempotency-Key is still in progress")


@app.exception_handler(CatalogUnavailable)
@app.exception_handler(CheckoutNotStarted)
def dependency_unavailable(error: Exception) -> Response:
    logger.exception("checkout dependency unavailable")
    return _error(HTTPStatus.SERVICE_UNAVAILABLE, "the order could not be placed; try again later")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    idempotency_config.register_lambda_context(context)
    return app.resolve(event, context)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
