"""The orders API at its edge: whatever a client (or a misrouted invoker) sends, the answer is a
4xx in the API's error shape that names the problem, and nothing is written or started."""

import base64

import pytest

from orders_service.errors import NotARestApiEvent
from tests.services.orders.conftest import executions
from tests.services.orders.helpers import (
    CREATE,
    binary_create_event,
    call,
    create_event,
    list_event,
    page_token,
    valid_body,
)
from tests.support.cfn import table_items
from tests.support.email_addresses import REFUSED
from tests.support.events import load_event

CUSTOMER = load_event(CREATE)["requestContext"]["authorizer"]["claims"]["sub"]


@pytest.fixture
def nothing_written(aws):
    """Asserts, after the test's request, that the table and the executions are as before."""
    before = table_items(aws["table"]), executions(aws)
    yield
    assert (table_items(aws["table"]), executions(aws)) == before


def test_a_body_that_is_not_utf8_is_a_400_naming_the_encoding(orders_api, context, nothing_written):
    status, body, _ = call(orders_api, binary_create_event(b'{"customerId": "\xff\xfe"}'), context)

    assert status == 400
    assert body == {"statusCode": 400, "message": body["message"]}
    assert "UTF-8" in body["message"]


@pytest.mark.parametrize(
    "nested",
    ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000],
    ids=["array", "object"],
)
def test_a_body_nested_10000_deep_is_a_400_naming_the_nesting(
    orders_api, context, nothing_written, nested
):
    status, body, _ = call(orders_api, create_event(raw_body=nested), context)

    assert status == 400
    assert "too deep" in body["message"]


def test_a_body_deeply_nested_inside_a_field_is_a_400_too(orders_api, context, nothing_written):
    nested = '{"customerId": "c", "items": ' + "[" * 10_000 + "]" * 10_000 + "}"

    assert call(orders_api, create_event(raw_body=nested), context)[0] == 400


def test_a_number_too_long_to_read_is_a_400_naming_it(orders_api, context, nothing_written):
    body = create_event()["body"].replace('"quantity": 2', '"quantity": ' + "9" * 5000)

    status, response, _ = call(orders_api, create_event(raw_body=body), context)

    assert status == 400
    assert "number too long" in response["message"]


def with_content_type(content_type: str, body: str) -> dict:
    event = create_event(raw_body=body)
    event["headers"]["Content-Type"] = content_type
    event["multiValueHeaders"]["Content-Type"] = [content_type]
    return event


NOT_JSON = {
    "text": ("text/plain", create_event()["body"]),
    "multipart without a boundary": ("multipart/form-data", "--x\r\n"),
    "multipart beyond Latin-1": ("multipart/form-data; boundary=x", "--x\r\n\u2603\r\n--x--"),
}


@pytest.mark.filterwarnings("ignore:Received multipart/form-data without base64")
@pytest.mark.parametrize(("content_type", "body"), NOT_JSON.values(), ids=list(NOT_JSON))
def test_a_body_that_is_not_json_content_is_a_415_in_the_error_shape(
    orders_api, context, nothing_written, content_type, body
):
    status, response, _ = call(orders_api, with_content_type(content_type, body), context)

    assert status == 415
    assert response["statusCode"] == 415
    assert "application/json" in response["message"]


def test_a_value_error_of_the_api_itself_is_not_passed_off_as_the_clients(
    orders_api, context, monkeypatch
):
    def broken(*_, **__):
        raise ValueError("a bug")

    monkeypatch.setattr(orders_api.placing, "place_order", broken)

    with pytest.raises(ValueError, match="a bug"):
        orders_api.handler(create_event(), context)


HTTP_API_V2_EVENT = {
    "version": "2.0",
    "routeKey": "POST /orders",
    "rawPath": "/orders",
    "headers": {"idempotency-key": "k", "content-type": "application/json"},
    "requestContext": {"http": {"method": "POST", "path": "/orders"}, "stage": "$default"},
    "body": '{"customerId": "c"}',
    "isBase64Encoded": False,
}
ALB_EVENT = {
    "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:::tg/x"}},
    "httpMethod": "GET",
    "path": "/orders",
    "headers": {},
    "body": "",
    "isBase64Encoded": False,
}
OTHER_EVENTS = {
    "HTTP API v2": HTTP_API_V2_EVENT,
    "ALB": ALB_EVENT,
    "SQS": {"Records": [{"messageId": "m", "body": "{}"}]},
    "empty": {},
    "not an object": ["GET", "/orders"],
}


@pytest.mark.parametrize("event", OTHER_EVENTS.values(), ids=list(OTHER_EVENTS))
def test_an_event_that_is_not_a_rest_api_request_is_refused_naming_what_it_serves(
    orders_api, context, nothing_written, event
):
    with pytest.raises(NotARestApiEvent, match="serves API Gateway REST API proxy events"):
        orders_api.handler(event, context)


def test_every_sample_rest_event_is_still_served(orders_api, context):
    for name in ("orders-api-create-order", "orders-api-get-order", "orders-api-list-orders"):
        status, _, _ = call(orders_api, load_event(f"orders/{name}.json"), context)
        assert status < 500


def listing_after(token: str) -> dict:
    return list_event(nextToken=token)


# Each decodes to the listing's key names for the right customer, but is not a key DynamoDB
# takes back: it must be a 400 naming nextToken, never a 5xx from deep inside the query.
FORGED_TOKENS = {
    "sort key a number": page_token(
        {"pk": "ORDER#o", "customerId": CUSTOMER, "createdAt": 1_700_000_000}
    ),
    "sort key an object": page_token(
        {"pk": "ORDER#o", "customerId": CUSTOMER, "createdAt": {"S": "2026-01-01"}}
    ),
    "sort key null": page_token({"pk": "ORDER#o", "customerId": CUSTOMER, "createdAt": None}),
    "sort key a lone surrogate": page_token(
        {"pk": "ORDER#o", "customerId": CUSTOMER, "createdAt": "\ud800"}
    ),
    "sort key over DynamoDB's 1024 bytes": page_token(
        {"pk": "ORDER#o", "customerId": CUSTOMER, "createdAt": "\u00e9" * 600},
        ensure_ascii=False,
    ),
    "JSON nested 1500 deep": base64.urlsafe_b64encode(b"[" * 1500).decode().rstrip("="),
}


@pytest.mark.parametrize("token", FORGED_TOKENS.values(), ids=list(FORGED_TOKENS))
def test_a_forged_page_token_is_a_400_naming_it(orders_api, context, nothing_written, token):
    status, body, _ = call(orders_api, listing_after(token), context)

    assert status == 400
    assert "nextToken" in body["message"]


def with_first_line(**changes) -> dict:
    body = valid_body()
    body["items"][0].update(changes)
    return body


@pytest.mark.parametrize("quantity", ["1", 1.0, True], ids=["string", "float", "boolean"])
def test_a_quantity_that_is_not_a_json_integer_is_a_422_not_coerced(
    orders_api, context, nothing_written, quantity
):
    status, body, _ = call(orders_api, create_event(with_first_line(quantity=quantity)), context)

    assert status == 422
    [problem] = body["detail"]
    assert problem["loc"] == ["body", "items", 0, "quantity"]
    assert problem["type"] == "int_type"


def test_a_sku_in_several_lines_is_a_422_naming_it_before_pricing(
    orders_api, context, nothing_written
):
    body = valid_body()
    # Merged, these would be one line of 2,500 past the per-line limit of 100.
    body["items"] = [{"sku": "SKU-MUG-WHT-12OZ", "quantity": 100}] * 25

    status, response, _ = call(orders_api, create_event(body), context)

    assert status == 422
    [problem] = response["detail"]
    assert problem["loc"] == ["body", "items"]
    assert "sku SKU-MUG-WHT-12OZ is in lines 0 and 1" in problem["msg"]
    assert orders_api.pricing._lambda.calls == 0


def test_a_quantity_over_the_line_limit_is_a_422(orders_api, context, nothing_written):
    status, body, _ = call(orders_api, create_event(with_first_line(quantity=101)), context)

    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "items", 0, "quantity"]


def with_verified_email(address: str) -> dict:
    event = create_event()
    event["requestContext"]["authorizer"]["claims"]["email"] = address
    return event


def test_an_account_email_ses_cannot_take_is_a_403_that_does_not_quote_it(
    orders_api, context, nothing_written
):
    address = REFUSED["the reported one: emoji, NUL and SQL"]

    status, response, _ = call(orders_api, with_verified_email(address), context)

    assert status == 403
    assert "cannot be mailed" in response["message"]
    assert address not in response["message"]


def test_an_account_email_with_a_local_part_over_64_is_a_403_saying_so(
    orders_api, context, nothing_written
):
    status, response, _ = call(
        orders_api, with_verified_email(REFUSED["local part of 65"]), context
    )

    assert status == 403
    assert "over 64 characters" in response["message"]


# Identifiers are DynamoDB keys and log fields: printable ASCII, no spaces or control characters.
NOT_IDENTIFIERS = {"NUL": "cust\u00000001", "space": "cust 0001", "non-ASCII": "cüst-0001"}


@pytest.mark.parametrize("key", NOT_IDENTIFIERS.values(), ids=list(NOT_IDENTIFIERS))
def test_an_idempotency_key_that_is_not_an_identifier_is_a_422(
    orders_api, context, nothing_written, key
):
    status, response, _ = call(orders_api, create_event(key=key), context)

    assert status == 422
    [problem] = response["detail"]
    assert problem["loc"][0] == "header"
    assert problem["loc"][1].lower() == "idempotency-key"


def get_order_event(order_id: str) -> dict:
    event = load_event("orders/orders-api-get-order.json")
    event["pathParameters"]["orderId"] = order_id
    event["path"] = f"/orders/{order_id}"
    return event


@pytest.mark.parametrize("order_id", ["o 1", "ö-1", "o" * 65], ids=["space", "non-ASCII", "65"])
def test_reading_an_order_id_that_is_not_an_identifier_is_a_422(orders_api, context, order_id):
    status, response, _ = call(orders_api, get_order_event(order_id), context)

    assert status == 422
    assert [d["loc"] for d in response["detail"]] == [["path", "orderId"]]


def test_reading_an_order_id_with_a_control_character_matches_no_route(orders_api, context):
    # The router's path segment takes no control character: no route, so Powertools' 404.
    status, response, _ = call(orders_api, get_order_event("o\u00001"), context)

    assert (status, response) == (404, {"statusCode": 404, "message": "Not found"})
