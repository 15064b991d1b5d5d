import base64
import json

import pytest

from inventory_service.errors import NotARestApiEvent


@pytest.fixture
def api(handler_module, lambda_context):
    module = handler_module("catalog_api")

    def call(api_event: dict) -> tuple[int, dict]:
        response = module.handler(api_event, lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return call


@pytest.fixture
def list_event(event):
    def build(**query: str) -> dict:
        api_event = event("catalog-api-list-products.json")
        api_event["queryStringParameters"] = query or None
        api_event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
        return api_event

    return build


def test_get_product_sample_event(api, event, catalog):
    status, body = api(event("catalog-api-get-product.json"))
    product = catalog["SKU-TSHIRT-BLK-M"]
    assert status == 200
    assert body == {
        "sku": product["sku"],
        "name": product["name"],
        "priceCents": product["priceCents"],
        "currency": "USD",
        "available": product["stock"],
    }


@pytest.mark.parametrize(
    ("origin", "allowed"), [("https://shop.example.com", True), ("https://evil.example", False)]
)
def test_only_the_storefronts_origin_may_read_the_catalog_from_a_browser(
    handler_module, lambda_context, event, catalog, origin, allowed
):
    api_event = event("catalog-api-list-products.json")
    api_event["headers"] = {**(api_event["headers"] or {}), "Origin": origin}
    api_event["multiValueHeaders"] = {k: [v] for k, v in api_event["headers"].items()}
    response = handler_module("catalog_api").handler(api_event, lambda_context)

    assert response["statusCode"] == 200
    allowed_origins = response["multiValueHeaders"].get("Access-Control-Allow-Origin")
    assert allowed_origins == ([origin] if allowed else None)


def test_get_unknown_product_is_404_with_message(api, event, catalog):
    api_event = event("catalog-api-get-product.json")
    api_event["path"] = "/products/SKU-NOPE"
    api_event["pathParameters"] = {"sku": "SKU-NOPE"}
    status, body = api(api_event)
    assert status == 404
    assert body["message"] == "product SKU-NOPE not found"


def test_sold_out_product_shows_zero_available(api, event, catalog):
    api_event = event("catalog-api-get-product.json")
    api_event["path"] = "/products/SKU-SNEAKER-WHT-42"
    status, body = api(api_event)
    assert (status, body["available"]) == (200, 0)


def test_list_sample_event_returns_first_page(api, event, catalog):
    status, body = api(event("catalog-api-list-products.json"))
    assert status == 200
    assert [item["sku"] for item in body["items"]] == sorted(catalog)[:2]
    assert body["nextToken"]


def test_list_pagination_walks_whole_catalog_once(api, list_event, catalog):
    seen, query, pages = [], {"limit": "4"}, 0
    while True:
        status, body = api(list_event(**query))
        assert status == 200
        pages += 1
        seen += [item["sku"] for item in body["items"]]
        if "nextToken" not in body:
            break
        query = {"limit": "4", "nextToken": body["nextToken"]}
    assert seen == sorted(catalog)
    assert pages == 2


def test_list_default_limit_returns_everything_without_token(api, list_event, catalog):
    status, body = api(list_event())
    assert status == 200
    assert len(body["items"]) == len(catalog)
    assert "nextToken" not in body
    first = body["items"][0]
    assert set(first) == {"sku", "name", "priceCents", "currency", "available"}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_list_bad_limit_is_422(api, list_event, catalog, limit):
    status, _ = api(list_event(limit=limit))
    assert status == 422


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token!",
        "e30",
        "eyJhZnRlciI6MX0",
        # The format of the tokens before the listing's tokens were product keys.
        "eyJhZnRlciI6IlNLVS1DQVAtTlZZLU9TIn0",
        # A product key, but its sku a lone surrogate (a JSON escape): not UTF-8, not a key.
        base64.urlsafe_b64encode(
            json.dumps({"pk": "PRODUCT#\ud800", "entity": "PRODUCT", "sku": "\ud800"}).encode()
        ).decode(),
    ],
)
def test_list_bad_token_is_400(api, list_event, catalog, token):
    status, body = api(list_event(nextToken=token))
    assert status == 400
    assert "nextToken" in body["message"]


OTHER_EVENTS = {
    "HTTP API v2": {
        "version": "2.0",
        "routeKey": "GET /products",
        "rawPath": "/products",
        "requestContext": {"http": {"method": "GET", "path": "/products"}},
    },
    "ALB": {"requestContext": {"elb": {}}, "httpMethod": "GET", "path": "/products"},
    "SQS": {"Records": []},
    "not an object": "GET /products",
}


@pytest.mark.parametrize("other", OTHER_EVENTS.values(), ids=list(OTHER_EVENTS))
def test_an_event_that_is_not_a_rest_api_request_is_refused_naming_what_it_serves(
    handler_module, lambda_context, catalog, snapshot, other
):
    module = handler_module("catalog_api")
    before = snapshot()

    with pytest.raises(NotARestApiEvent, match="serves API Gateway REST API proxy events"):
        module.handler(other, lambda_context)

    assert snapshot() == before


@pytest.mark.parametrize("sku", ["SKU X", "SKÜ-X", "S" * 101], ids=["space", "non-ASCII", "101"])
def test_get_a_sku_that_is_not_an_identifier_is_422(api, event, catalog, sku):
    api_event = event("catalog-api-get-product.json")
    api_event["pathParameters"] = {"sku": sku}
    api_event["path"] = f"/products/{sku}"
    status, body = api(api_event)
    assert status == 422
    assert [d["loc"] for d in body["detail"]] == [["path", "sku"]]
