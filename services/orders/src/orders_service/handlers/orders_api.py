"""OrdersApiFunction: the orders REST API (place an order, read one, list the customer's).

Routes and validation by the Powertools Event Handler (pydantic), flows in `placing` and
`reading`; this module maps their outcomes and errors to HTTP. Every route serves the signed-in
customer only: API Gateway's Cognito authorizer has verified their ID token and hands its claims
in `requestContext.authorizer.claims`; the customer is the token's `sub`, never a parameter.
"""

import gc
import json
from http import HTTPStatus
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from orders_service import placing, reading
from orders_service.adapters.payments import PaymentRegistration
from orders_service.adapters.pricing import InventoryPricing
from orders_service.adapters.workflow import CheckoutWorkflow
from orders_service.config import OrdersApiSettings
from orders_service.dynamodb import InvalidPageToken
from orders_service.errors import (
    CatalogUnavailable,
    CheckoutHistoryUnavailable,
    CheckoutNotStarted,
    NoMailableEmail,
    NotARestApiEvent,
    OrderNotFound,
    PaymentsUnavailable,
    UnknownSku,
    UnreadableRequestBody,
)
from orders_service.models import (
    IDENTIFIER_PATTERN,
    MAILABLE_ADDRESS,
    CheckoutSteps,
    CreateOrderRequest,
    ErrorResponse,
    GatewayError,
    OrderPage,
    OrderView,
)
from orders_service.observability import logger, metrics, tracer
from orders_service.repository import OrdersRepository

settings = OrdersApiSettings.from_environment()
dynamodb = boto3.client("dynamodb")
orders = OrdersRepository(dynamodb, settings.orders_table_name)
lambda_client = boto3.client("lambda")
pricing = InventoryPricing(lambda_client, settings.quote_prices_function_arn)
payments = PaymentRegistration(lambda_client, settings.register_payment_function_arn)
workflow = CheckoutWorkflow(boto3.client("stepfunctions"), settings.checkout_state_machine_arn)

# One order per customer (the token's sub) and Idempotency-Key; reusing a key with another
# body is refused.
idempotency_config = IdempotencyConfig(
    event_key_jmespath="[customerId, idempotencyKey]",
    payload_validation_jmespath="request",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=24 * 60 * 60,
)
# The repository's client: the persistence layer builds a whole new boto3 session otherwise.
idempotency_store = DynamoDBPersistenceLayer(
    table_name=settings.orders_table_name, key_attr="pk", boto3_client=dynamodb
)


def _json_body(body: str) -> Any:
    """json.loads, with what it cannot read refused as the client's error, not left to escape
    the handler (a 502). Invalid syntax (JSONDecodeError) stays Powertools' 422."""
    try:
        return json.loads(body)
    except RecursionError:
        raise UnreadableRequestBody("the request body nests JSON too deep to be read") from None
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            raise
        # Python reads no integer of more than 4,300 digits.
        raise UnreadableRequestBody("the request body holds a number too long to read") from None


# The storefront calls from its own origin; API Gateway answers the preflight (the template's Cors).
app = APIGatewayRestResolver(
    enable_validation=True,
    json_body_deserializer=_json_body,
    cors=CORSConfig(allow_origin=settings.allowed_origin, allow_headers=["Idempotency-Key"]),
)

IdempotencyKey = Annotated[
    str,
    Header(alias="Idempotency-Key", min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN),
]
JSON = content_types.APPLICATION_JSON
# The template's user pool authorizer (an ID token in the Authorization header), by its name there.
SIGNED_IN: list[dict[str, list[str]]] = [{"CustomerSignIn": []}]


def _answers(ok: int, model: type, description: str, *errors: tuple[int, str]) -> dict:
    """The responses a route really gives, for the published OpenAPI document."""
    responses = {
        ok: {"description": description, "content": {JSON: {"model": model}}},
        401: {
            "description": "no valid ID token: API Gateway's authorizer answers "
            '"Unauthorized", or "The incoming token has expired"',
            "content": {JSON: {"model": GatewayError}},
        },
    }
    for status, why in (*errors, (422, "the request breaks the schema: each field is named")):
        responses[status] = {"description": why, "content": {JSON: {"model": ErrorResponse}}}
    return responses


@idempotent_function(
    data_keyword_argument="command",
    config=idempotency_config,
    persistence_store=idempotency_store,
)
def place_order_once(command: dict[str, Any]) -> dict[str, Any]:
    return placing.place_order(
        command,
        orders=orders,
        pricing=pricing,
        payments=payments,
        workflow=workflow,
        reconcile_after_seconds=settings.reconcile_after_seconds,
    )


def _claims() -> dict[str, str]:
    """The ID token's claims, as API Gateway's authorizer passes them (every value a string).
    `handler` has refused any event without a customer, so `sub` is there."""
    return app.current_event.request_context.authorizer.claims


def _mailable_email(claims: dict[str, str]) -> str:
    """The address the order's mail goes to: the account's, once the customer has proved it is
    theirs (Cognito's `email_verified`), and one SES can send to."""
    if claims.get("email_verified") != "true" or not claims.get("email"):
        raise NoMailableEmail(
            "the account's email address is not verified: verify it, sign in again, then retry "
            "with the same Idempotency-Key"
        )
    try:
        return MAILABLE_ADDRESS.validate_python(claims["email"])
    except ValidationError as error:
        problem = error.errors()[0]["msg"]
        raise NoMailableEmail(f"the account's email address cannot be mailed: {problem}") from None


@app.post(
    "/orders",
    summary="Place an order; its checkout runs asynchronously",
    security=SIGNED_IN,
    responses=_answers(
        202,
        OrderView,
        "accepted: the order is PENDING and its checkout started (Location: the order)",
        (400, "the body is not UTF-8 text, or it nests JSON too deep or holds too long a number"),
        (403, "the account's email address is not verified, or is not one SES can mail"),
        (409, "a request with this Idempotency-Key is still in progress"),
        (415, "the body is not sent as application/json"),
        (503, "pricing, payments or the checkout could not be reached; retry with the same key"),
    ),
)
@tracer.capture_method
def create_order(order: CreateOrderRequest, idempotency_key: IdempotencyKey) -> Response[dict]:
    claims = _claims()
    placed = place_order_once(
        command={
            "customerId": claims["sub"],
            "email": _mailable_email(claims),
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


@app.get(
    "/orders/<orderId>",
    summary="Read one of the customer's orders and its status",
    security=SIGNED_IN,
    responses=_answers(
        200, OrderView, "the order", (404, "the customer has no order with this id")
    ),
)
@tracer.capture_method
def get_order(
    orderId: Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)],
) -> dict:
    return reading.get_order(orderId, _claims()["sub"], orders=orders)


@app.get(
    "/orders/<orderId>/steps",
    summary="The steps the order's checkout went through so far",
    security=SIGNED_IN,
    responses=_answers(
        200,
        CheckoutSteps,
        "the checkout's steps, in order",
        (404, "the customer has no order with this id"),
        (503, "Step Functions did not answer; try again later"),
    ),
)
@tracer.capture_method
def get_checkout_steps(
    orderId: Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)],
) -> dict:
    return reading.checkout_steps(orderId, _claims()["sub"], orders=orders, workflow=workflow)


@app.get(
    "/orders",
    summary="List the customer's orders, newest first",
    security=SIGNED_IN,
    responses=_answers(
        200, OrderPage, "a page of orders", (400, "nextToken is not a token this listing issued")
    ),
)
@tracer.capture_method
def list_orders(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    nextToken: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict:
    return reading.list_orders(_claims()["sub"], limit, nextToken, orders=orders)


def _error(status: HTTPStatus, message: str, **extra: Any) -> Response:
    body = {"statusCode": status, "message": message, **extra}
    return Response(status_code=status, content_type=JSON, body=body)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    # Powertools hides pydantic's messages by default; ours name the field and the rule only.
    details = [{"loc": e["loc"], "type": e["type"], "msg": e.get("msg")} for e in error.errors()]
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, "request is not valid", detail=details)


@app.exception_handler(UnicodeDecodeError)
def body_not_utf8(_: UnicodeDecodeError) -> Response:
    return _error(HTTPStatus.BAD_REQUEST, "the request body is not UTF-8 text; send JSON in UTF-8")


@app.exception_handler(UnreadableRequestBody)
def body_unreadable(error: UnreadableRequestBody) -> Response:
    return _error(HTTPStatus.BAD_REQUEST, str(error))


@app.exception_handler(RequestUnsupportedContentType)
def body_not_json(_: Exception) -> Response:
    return _error(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the request body as Content-Type application/json"
    )


@app.exception_handler(ValueError)
def body_not_json_unreadable(error: ValueError) -> Response:
    """Powertools also parses form and multipart bodies, and lets a multipart body it cannot read
    out as a ValueError (no boundary, characters it cannot carry). This API reads JSON only."""
    content_type = app.current_event.headers.get("content-type", "").strip()
    if not app.current_event.body or not content_type or content_type.startswith(JSON):
        raise error  # not the body's encoding: a fault of ours, reported as one
    return body_not_json(error)


@app.exception_handler(InvalidPageToken)
def invalid_page_token(error: InvalidPageToken) -> Response:
    return _error(HTTPStatus.BAD_REQUEST, str(error))


@app.exception_handler(NoMailableEmail)
def no_mailable_email(error: NoMailableEmail) -> Response:
    return _error(HTTPStatus.FORBIDDEN, str(error))


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


@app.exception_handler(CheckoutHistoryUnavailable)
def history_unavailable(_: CheckoutHistoryUnavailable) -> Response:
    logger.exception("checkout history unavailable")
    return _error(HTTPStatus.SERVICE_UNAVAILABLE, "the checkout's steps cannot be read now")


@app.exception_handler(CatalogUnavailable)
@app.exception_handler(PaymentsUnavailable)
@app.exception_handler(CheckoutNotStarted)
def dependency_unavailable(error: Exception) -> Response:
    logger.exception("checkout dependency unavailable")
    return _error(HTTPStatus.SERVICE_UNAVAILABLE, "the order could not be placed; try again later")


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


def _signed_in(event: dict) -> bool:
    """Whether the event carries a customer: the authorizer's claims with a `sub`. Without
    them the function was invoked past API Gateway's authorizer (or with the route's authorizer
    removed), and no one is there to serve."""
    claims = ((event["requestContext"].get("authorizer") or {}).get("claims")) or {}
    return isinstance(claims, dict) and isinstance(claims.get("sub"), str) and bool(claims["sub"])


NOT_SIGNED_IN = {
    "statusCode": HTTPStatus.UNAUTHORIZED,
    "headers": {"Content-Type": JSON},
    "body": json.dumps(
        {
            "statusCode": HTTPStatus.UNAUTHORIZED,
            "message": "not signed in: the request carries no user pool claims; call the API "
            "with a customer's ID token in the Authorization header",
        }
    ),
    "isBase64Encoded": False,
}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    _refuse_other_events(event)
    if not _signed_in(event):
        logger.warning("refused: no authorizer claims in the event")
        return NOT_SIGNED_IN
    idempotency_config.register_lambda_context(context)
    return app.resolve(event, context)


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
