"""The orders API handler, driven by the events/orders sample events."""

import copy
import json

import pytest

from tests.services.orders.conftest import executions, orders_in_table
from tests.services.orders.helpers import (
    CREATE,
    call,
    create_event,
    header,
    list_event,
    signed_in_as,
    valid_body,
)
from tests.support.events import load_event

LIST_SAMPLE = "orders/orders-api-list-orders.json"
SAMPLE_CUSTOMER = load_event(CREATE)["requestContext"]["authorizer"]["claims"]["sub"]


def test_sample_event_places_a_priced_pending_order_and_starts_its_checkout(
    orders_api, aws, context
):
    status, body, response = call(orders_api, load_event(CREATE), context)

    assert status == 202
    assert body["status"] == "PENDING"
    assert body["amountCents"] == 2 * 1299 + 1450
    assert header(response, "Location") == f"/orders/{body['orderId']}"
    [execution] = executions(aws)
    assert execution["name"] == body["orderId"]
    started = aws["sfn"].describe_execution(executionArn=execution["executionArn"])
    checkout_input = json.loads(started["input"])
    # The token went to payments, once; the checkout carries payments' reference instead.
    assert orders_api.payments._lambda.tokens == {body["orderId"]: "pm_card_visa"}
    assert checkout_input["paymentReference"].startswith("payref_")
    assert "pm_card_visa" not in started["input"]
    assert checkout_input["items"][0] == {
        "sku": "SKU-TSHIRT-BLK-M",
        "quantity": 2,
        "unitPriceCents": 1299,
    }
    stored = orders_in_table(aws)
    assert len(stored) == 1
    assert "paymentToken" not in stored[0]


def test_same_idempotency_key_and_body_returns_the_same_order_once(orders_api, aws, context):
    _, first, _ = call(orders_api, create_event(key="retry-me"), context)
    status, second, _ = call(orders_api, create_event(key="retry-me"), context)

    assert status == 202
    assert second == first
    assert len(orders_in_table(aws)) == 1
    assert len(executions(aws)) == 1


def test_a_replay_past_the_idempotency_record_never_starts_a_second_checkout(
    orders_api, aws, context, monkeypatch
):
    """Express workflows run a second execution under the same name; the orders service must
    not ask for one. The replay gets the stored order back."""
    _, first, _ = call(orders_api, create_event(key="replayed"), context)
    for item in aws["table"].scan()["Items"]:  # the idempotency record expired, or was cut off
        if not item["pk"].startswith("ORDER#"):
            aws["table"].delete_item(Key={"pk": item["pk"]})
    starts = []
    monkeypatch.setattr(
        orders_api.workflow._sfn, "start_execution", lambda **kwargs: starts.append(kwargs)
    )

    status, second, _ = call(orders_api, create_event(key="replayed"), context)

    assert (status, second) == (202, first)
    assert starts == []
    assert len(orders_in_table(aws)) == 1


def test_reusing_an_idempotency_key_with_another_body_is_refused(orders_api, aws, context):
    call(orders_api, create_event(key="k"), context)
    other = valid_body()
    other["items"][0]["quantity"] = 3

    status, body, _ = call(orders_api, create_event(other, key="k"), context)

    assert status == 422
    assert "Idempotency-Key" in body["message"]
    assert len(orders_in_table(aws)) == 1


def test_different_keys_place_different_orders(orders_api, aws, context):
    _, first, _ = call(orders_api, create_event(key="a"), context)
    _, second, _ = call(orders_api, create_event(key="b"), context)
    assert first["orderId"] != second["orderId"]
    assert len(executions(aws)) == 2


def _without(field):
    body = valid_body()
    del body[field]
    return body


def _with(**changes):
    body = valid_body()
    body.update(changes)
    return body


def _first_item(**changes):
    body = valid_body()
    body["items"][0].update(changes)
    return body


BAD_BODIES = {
    "quantity zero": (_first_item(quantity=0), ["body", "items", 0, "quantity"]),
    "quantity negative": (_first_item(quantity=-2), ["body", "items", 0, "quantity"]),
    "quantity not a number": (_first_item(quantity="two"), ["body", "items", 0, "quantity"]),
    "empty cart": (_with(items=[]), ["body", "items"]),
    "client price": (_first_item(unitPriceCents=1), ["body", "items", 0, "unitPriceCents"]),
    "a customer in the body": (_with(customerId="cust-0001"), ["body", "customerId"]),
    "an email in the body": (_with(email="ada@example.com"), ["body", "email"]),
    "card number as token": (_with(paymentToken="4242424242424242"), ["body", "paymentToken"]),
    "items not a list": (_with(items={"sku": "SKU-MUG-WHT-12OZ"}), ["body", "items"]),
}


@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
def test_invalid_body_is_a_422_naming_the_field_and_writes_nothing(orders_api, aws, context, case):
    body, location = BAD_BODIES[case]

    status, response, _ = call(orders_api, create_event(body), context)

    assert status == 422
    assert location in [d["loc"] for d in response["detail"]]
    assert all(d["msg"] for d in response["detail"])
    assert aws["table"].scan()["Items"] == []
    assert executions(aws) == []


def test_malformed_json_is_a_422_and_writes_nothing(orders_api, aws, context):
    status, body, _ = call(orders_api, create_event(raw_body='{"customerId": "c",'), context)
    assert status == 422
    assert body["detail"][0]["type"] == "json_invalid"
    assert aws["table"].scan()["Items"] == []


def test_missing_idempotency_key_is_a_422_naming_the_header(orders_api, aws, context):
    status, body, _ = call(orders_api, create_event(key=None), context)
    assert status == 422
    assert body["detail"][0]["loc"][0] == "header"
    assert body["detail"][0]["loc"][1].lower() == "idempotency-key"
    assert aws["table"].scan()["Items"] == []


def test_unknown_sku_is_a_422_naming_it_and_writes_nothing(orders_api, aws, context):
    body = valid_body()
    body["items"].append({"sku": "SKU-DOES-NOT-EXIST", "quantity": 1})

    status, response, _ = call(orders_api, create_event(body), context)

    assert status == 422
    assert "SKU-DOES-NOT-EXIST" in response["message"]
    assert aws["table"].scan()["Items"] == []
    assert executions(aws) == []


def test_catalog_outage_is_a_503_and_writes_nothing(orders_api, aws, context):
    orders_api.pricing._lambda.unavailable = True
    status, _, _ = call(orders_api, create_event(), context)
    assert status == 503
    assert aws["table"].scan()["Items"] == []


def test_payments_outage_is_a_503_that_writes_nothing_and_a_retry_places_the_order(
    orders_api, aws, context
):
    orders_api.payments._lambda.unavailable = True
    status, _, _ = call(orders_api, create_event(key="payments-down"), context)
    assert status == 503
    assert aws["table"].scan()["Items"] == [] and executions(aws) == []

    orders_api.payments._lambda.unavailable = False
    status, body, _ = call(orders_api, create_event(key="payments-down"), context)
    assert (status, body["status"]) == (202, "PENDING")
    assert len(executions(aws)) == 1


def test_a_checkout_that_cannot_start_leaves_a_failed_order_not_a_pending_one(
    orders_api, aws, context, monkeypatch
):
    monkeypatch.setattr(
        orders_api.workflow, "_arn", orders_api.workflow._arn.replace("test-checkout", "gone")
    )

    status, _, _ = call(orders_api, create_event(), context)

    assert status == 503
    [order] = orders_in_table(aws)
    assert order["status"] == "FAILED"
    assert order["reason"] == "CheckoutNotStarted"


def test_get_order_returns_the_stored_order(orders_api, context):
    _, placed, _ = call(orders_api, load_event(CREATE), context)
    event = copy.deepcopy(load_event("orders/orders-api-get-order.json"))
    event["pathParameters"]["orderId"] = placed["orderId"]
    event["path"] = f"/orders/{placed['orderId']}"

    status, body, _ = call(orders_api, event, context)

    assert status == 200
    assert body == placed


def test_unknown_order_is_a_404(orders_api, context):
    status, body, _ = call(orders_api, load_event("orders/orders-api-get-order.json"), context)
    assert status == 404
    assert "not found" in body["message"]


def test_list_orders_pages_through_a_customers_orders_newest_first(orders_api, context):
    placed = [call(orders_api, create_event(key=f"k{i}"), context)[1]["orderId"] for i in range(3)]
    event = load_event("orders/orders-api-list-orders.json")
    event["queryStringParameters"]["limit"] = "2"
    event["multiValueQueryStringParameters"]["limit"] = ["2"]

    status, page, _ = call(orders_api, event, context)
    assert status == 200
    assert len(page["orders"]) == 2 and page["nextToken"]

    event["queryStringParameters"]["nextToken"] = page["nextToken"]
    event["multiValueQueryStringParameters"]["nextToken"] = [page["nextToken"]]
    _, rest, _ = call(orders_api, event, context)

    seen = [o["orderId"] for o in page["orders"] + rest["orders"]]
    assert sorted(seen) == sorted(placed)
    assert rest["nextToken"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"limit": "0"}, 422),
        ({"limit": "101"}, 422),
        ({"nextToken": "%%%"}, 400),
    ],
)
def test_bad_list_queries_are_4xx(orders_api, context, query, status):
    event = load_event("orders/orders-api-list-orders.json")
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    assert call(orders_api, event, context)[0] == status


def test_a_page_token_of_another_customers_orders_is_a_400(orders_api, context):
    for i in range(2):
        call(orders_api, create_event(key=f"k{i}"), context)
    event = load_event("orders/orders-api-list-orders.json")
    event["queryStringParameters"]["limit"] = "1"
    event["multiValueQueryStringParameters"]["limit"] = ["1"]
    token = call(orders_api, event, context)[1]["nextToken"]

    query = {"nextToken": token}
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    status, body, _ = call(orders_api, signed_in_as(event, "someone-else"), context)

    assert status == 400
    assert "nextToken" in body["message"]


# --- Sign-in: the customer is the ID token's sub, as API Gateway's authorizer passes it ---

OTHER_CUSTOMER = "9b2d4f6a-8c0e-4a1b-9d3f-5e7a9c1b3d5f"


def test_the_order_belongs_to_the_tokens_customer_and_is_mailed_to_its_verified_email(
    orders_api, aws, context
):
    event = signed_in_as(create_event(), OTHER_CUSTOMER, email="grace@example.com")

    status, body, _ = call(orders_api, event, context)

    assert status == 202
    assert (body["customerId"], body["email"]) == (OTHER_CUSTOMER, "grace@example.com")
    [stored] = orders_in_table(aws)
    assert (stored["customerId"], stored["email"]) == (OTHER_CUSTOMER, "grace@example.com")


def test_the_same_idempotency_key_of_two_customers_places_two_orders(orders_api, aws, context):
    _, first, _ = call(orders_api, create_event(key="k"), context)
    _, second, _ = call(orders_api, signed_in_as(create_event(key="k"), OTHER_CUSTOMER), context)

    assert first["orderId"] != second["orderId"]
    assert len(orders_in_table(aws)) == 2


@pytest.mark.parametrize(
    "authorizer",
    [None, {}, {"claims": None}, {"claims": {}}, {"claims": {"sub": ""}}],
    ids=["no authorizer", "empty authorizer", "null claims", "no claims", "empty sub"],
)
@pytest.mark.parametrize("sample", [CREATE, "orders/orders-api-get-order.json", LIST_SAMPLE])
def test_an_event_without_a_customer_is_a_401_and_writes_nothing(
    orders_api, aws, context, authorizer, sample
):
    event = load_event(sample)
    event["requestContext"]["authorizer"] = authorizer

    status, body, _ = call(orders_api, event, context)

    assert status == 401
    assert "not signed in" in body["message"]
    assert orders_in_table(aws) == []
    assert executions(aws) == []


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"email_verified": "false"}, "not verified"),
        ({"email_verified": "true", "email": "ada@exämple.com"}, "cannot be mailed"),
    ],
    ids=["unverified", "not an address SES takes"],
)
def test_placing_without_a_mailable_verified_email_is_a_403_and_writes_nothing(
    orders_api, aws, context, claims, problem
):
    event = create_event()
    event["requestContext"]["authorizer"]["claims"].update(claims)

    status, body, _ = call(orders_api, event, context)

    assert status == 403
    assert problem in body["message"]
    assert orders_in_table(aws) == []
    assert executions(aws) == []


def test_another_customers_order_is_a_404_exactly_as_an_unknown_id(orders_api, context):
    _, placed, _ = call(orders_api, load_event(CREATE), context)
    theirs = load_event("orders/orders-api-get-order.json")
    theirs["pathParameters"]["orderId"] = placed["orderId"]
    unknown = load_event("orders/orders-api-get-order.json")
    unknown["pathParameters"]["orderId"] = "no-such-order"

    _, owner_view, _ = call(orders_api, copy.deepcopy(theirs), context)
    status, body, _ = call(orders_api, signed_in_as(theirs, OTHER_CUSTOMER), context)
    unknown_status, unknown_body, _ = call(
        orders_api, signed_in_as(unknown, OTHER_CUSTOMER), context
    )

    assert owner_view == placed
    assert (status, unknown_status) == (404, 404)
    assert body == {
        **unknown_body,
        "message": unknown_body["message"].replace("no-such-order", placed["orderId"]),
    }


def test_the_listing_is_the_callers_orders_whatever_customer_the_query_names(orders_api, context):
    _, mine, _ = call(orders_api, signed_in_as(create_event(key="a"), OTHER_CUSTOMER), context)
    call(orders_api, create_event(key="b"), context)  # the sample's customer

    event = signed_in_as(list_event(customerId=SAMPLE_CUSTOMER), OTHER_CUSTOMER)
    status, page, _ = call(orders_api, event, context)

    assert status == 200
    assert [o["orderId"] for o in page["orders"]] == [mine["orderId"]]


@pytest.mark.parametrize(
    ("origin", "allowed"), [("https://shop.example.com", True), ("https://evil.example", False)]
)
def test_only_the_storefronts_origin_may_read_the_answer_from_a_browser(
    orders_api, aws, context, origin, allowed
):
    event = create_event()
    event["headers"]["Origin"] = origin
    event["multiValueHeaders"]["Origin"] = [origin]
    status, _, response = call(orders_api, event, context)

    assert status == 202
    assert header(response, "Access-Control-Allow-Origin") == (origin if allowed else None)
