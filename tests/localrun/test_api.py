"""The local REST API: route matching, the v1 proxy event, the proxy response mapping."""

import base64
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from localrun.api import ApiGateway, RouteTable, proxy_response
from localrun.lambdas import ServiceErrorFault
from localrun.template import ApiRoute
from localrun.template.model import ApiCors

from .conftest import lambda_service, simultaneous_requests


@pytest.fixture
def gateway(fixture_model, lambdas):
    gateway = ApiGateway(fixture_model.apis[0], lambdas)
    gateway.start()
    yield gateway
    gateway.stop()


def request(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_route_table_prefers_literal_segments_and_supports_greedy_paths():
    table = RouteTable(
        [
            ApiRoute("GET", "/orders/{orderId}", "fn-a"),
            ApiRoute("GET", "/orders/recent", "fn-b"),
            ApiRoute("ANY", "/files/{proxy+}", "fn-c"),
        ]
    )

    assert table.match("GET", "/orders/recent")[0].function_arn == "fn-b"
    assert table.match("GET", "/orders/o%2D1") == (
        table.match("GET", "/orders/o%2D1")[0],
        {"orderId": "o-1"},
    )
    assert table.match("DELETE", "/files/a/b.txt")[1] == {"proxy": "a/b.txt"}
    assert table.match("POST", "/orders/o-1") is None
    assert table.match("GET", "/nope") is None


def test_proxy_event_has_the_rest_api_v1_shape(gateway, fixture_model):
    status, _, body = request(
        f"{gateway.url}/items/i-42?tag=a&tag=b&single=x",
        headers={"X-Custom": "v", "User-Agent": "tests"},
    )

    assert status == 200
    event = json.loads(body)["event"]
    assert event["resource"] == "/items/{itemId}"
    assert event["path"] == "/items/i-42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"itemId": "i-42"}
    assert event["queryStringParameters"] == {"tag": "b", "single": "x"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "single": ["x"]}
    assert event["headers"]["X-Custom"] == "v"
    assert event["multiValueHeaders"]["X-Custom"] == ["v"]
    assert event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "test"
    assert context["resourcePath"] == "/items/{itemId}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/test/items/i-42"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "tests"
    assert context["apiId"] == fixture_model.apis[0].rest_api_id
    assert isinstance(context["requestTimeEpoch"], int) and context["requestId"]


def test_response_maps_status_headers_and_multi_value_headers(gateway):
    status, headers, body = request(
        f"{gateway.url}/items",
        method="POST",
        body=b'{"name": "x"}',
        headers={"Content-Type": "application/json"},
    )

    assert status == 201
    assert headers["X-Fixture"] == "yes"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    event = json.loads(body)["event"]
    assert event["body"] == '{"name": "x"}'
    assert event["isBase64Encoded"] is False
    assert event["pathParameters"] is None


def test_binary_body_is_base64_encoded(gateway):
    payload = bytes([0xFF, 0x00, 0xFE])
    _, _, body = request(f"{gateway.url}/items", method="POST", body=payload)
    event = json.loads(body)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_unknown_route_method_and_stage_answer_like_api_gateway(gateway):
    base = gateway.url.rsplit("/", 1)[0]

    unknown_path = request(f"{gateway.url}/nothing")
    unknown_method = request(f"{gateway.url}/items/1", method="DELETE")
    method_http_server_lacks = request(f"{gateway.url}/items/1", method="TRACE")
    wrong_stage = request(f"{base}/prod/items/1")

    for status, headers, body in (unknown_path, unknown_method, method_http_server_lacks):
        assert status == 403
        assert json.loads(body) == {"message": "Missing Authentication Token"}
        assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert wrong_stage[0] == 403


def test_cors_preflight_and_the_gateways_own_errors_carry_the_sites_origin(fixture_model, lambdas):
    site = "http://127.0.0.1:3003"
    api = replace(
        fixture_model.apis[0],
        cors=ApiCors(allow_origin=site, allow_headers="Authorization,Content-Type", max_age="600"),
        gateway_response_headers={"DEFAULT_4XX": {"Access-Control-Allow-Origin": site}},
    )
    gateway = ApiGateway(api, lambdas)
    gateway.start()
    try:
        preflight = request(f"{gateway.url}/items/1", method="OPTIONS", headers={"Origin": site})
        no_such_path = request(f"{gateway.url}/nothing", method="OPTIONS")
        refused = request(f"{gateway.url}/nothing")
        answered = request(f"{gateway.url}/items/1")
    finally:
        gateway.stop()

    # SAM's mock OPTIONS method answers without calling the function.
    assert preflight[0] == 200 and preflight[2] == b""
    assert preflight[1]["Access-Control-Allow-Origin"] == site
    assert preflight[1]["Access-Control-Allow-Headers"] == "Authorization,Content-Type"
    assert preflight[1]["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Methods" not in preflight[1]
    assert no_such_path[0] == 403
    assert refused[0] == 403 and refused[1]["Access-Control-Allow-Origin"] == site
    # The function's own answer is the function's: the gateway adds nothing to it.
    assert answered[0] == 200 and "Access-Control-Allow-Origin" not in answered[1]


def test_function_error_is_a_502(gateway):
    status, _, body = request(f"{gateway.url}/items/1?crash=1")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}


def test_lambda_service_error_is_a_500(gateway, lambdas):
    lambdas.inject("ApiFunction", ServiceErrorFault())
    status, _, body = request(f"{gateway.url}/items/1")
    assert status == 500
    assert json.loads(body) == {"message": "Internal server error"}


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[]", b'{"body": "no status"}', b'{"statusCode": 200, "body": {"a": 1}}'],
)
def test_malformed_proxy_response_is_a_502(payload):
    response = proxy_response(payload)
    assert response.status == 502
    assert json.loads(response.body) == {"message": "Internal server error"}


def test_base64_proxy_response_is_decoded():
    response = proxy_response(
        json.dumps(
            {
                "statusCode": 200,
                "isBase64Encoded": True,
                "body": base64.b64encode(b"\x00\x01").decode(),
            }
        ).encode()
    )
    assert (response.status, response.body) == (200, b"\x00\x01")


def test_a_burst_of_connections_is_queued_not_reset(gateway):
    """A load test's 200 clients connecting at once each get an answer (backlog 5 dropped most)."""
    host, port = urlsplit(gateway.url).netloc.split(":")
    request = b"GET /test/items/burst HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

    outcomes = simultaneous_requests((host, int(port)), request, 200)

    assert Counter(outcomes) == {"HTTP/1.1 200 OK": 200}


# -- API Gateway's limits: integration timeout and payload quota (29 s and 10 MB by default) ----


def test_an_integration_past_the_timeout_answers_504_and_the_function_goes_on(
    fixture_model, lambdas
):
    gateway = ApiGateway(fixture_model.apis[0], lambdas, integration_timeout=0.5)
    gateway.start()
    try:
        status, _, body = request(gateway.url + "/items/slow?sleep=1.5")
    finally:
        gateway.stop()

    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
    deadline = time.monotonic() + 10
    while not lambdas.records and time.monotonic() < deadline:
        time.sleep(0.05)
    [record] = lambdas.records  # the invocation ran to its end, successfully
    assert record.error_type is None and record.duration_ms >= 1500


def test_a_body_over_the_payload_quota_is_413_and_the_connection_serves_on(fixture_model, lambdas):
    gateway = ApiGateway(fixture_model.apis[0], lambdas, max_request_bytes=1000)
    gateway.start()
    connection = http.client.HTTPConnection(urlsplit(gateway.url).netloc, timeout=30)
    try:
        connection.request("POST", "/test/items", body=b"x" * 1001)
        too_long = connection.getresponse()
        too_long_body = json.loads(too_long.read())
        connection.request("POST", "/test/items", body=b"x" * 1000)
        accepted = connection.getresponse()
        accepted.read()
    finally:
        connection.close()
        gateway.stop()

    assert (too_long.status, too_long_body) == (413, {"message": "Request Too Long"})
    assert accepted.status == 201
    assert len(lambdas.records) == 1  # the refused request invoked nothing


def test_an_event_over_lambdas_payload_quota_is_413(fixture_model, small_payload_quotas):
    gateway = ApiGateway(fixture_model.apis[0], small_payload_quotas)
    gateway.start()
    try:
        status, headers, body = request(gateway.url + "/items", "POST", b"x" * 1000)
    finally:
        gateway.stop()

    assert (status, json.loads(body)) == (413, {"message": "Request Too Long"})
    assert headers["x-amzn-ErrorType"] == "BadRequestException"


def test_a_response_over_lambdas_payload_quota_is_a_502(fixture_model):
    with lambda_service(fixture_model, max_response_bytes=1000) as lambdas:
        gateway = ApiGateway(fixture_model.apis[0], lambdas)
        gateway.start()
        try:
            status, _, body = request(gateway.url + "/items/x")  # echoes its event: > 1,000 bytes
        finally:
            gateway.stop()

        assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
        assert lambdas.records[-1].error_type == "Function.ResponseSizeTooLarge"


def test_waiting_for_a_free_environment_does_not_count_against_the_integration_timeout(
    fixture_model,
):
    """Lambda would scale out where the local service queues: no 504 AWS would not give."""
    with lambda_service(fixture_model, max_environments=1) as lambdas:
        lambdas.prewarm(["ApiFunction"])
        gateway = ApiGateway(fixture_model.apis[0], lambdas, integration_timeout=2)
        gateway.start()
        statuses: list[int] = []

        def get() -> None:
            statuses.append(request(gateway.url + "/items/queued?sleep=1")[0])

        clients = [threading.Thread(target=get) for _ in range(4)]  # the last waits ~3 s
        try:
            for client in clients:
                client.start()
            for client in clients:
                client.join()
        finally:
            gateway.stop()

        assert statuses == [200] * 4
