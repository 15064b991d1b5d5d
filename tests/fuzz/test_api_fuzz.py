"""The API fuzzed from its published document (docs/api/openapi.json) on the local run.

Schemathesis generates stateless requests for every operation, valid and invalid by the
document: its coverage phase (boundaries, wrong types, missing parts, other methods), then its
fuzzing phase, derandomized so every run sends the same requests. Every answer must be no server
error, a status the document lists for the operation, with a content type and body its schema
allows; invalid data must be refused; and no answer but 202 Accepted may write anything: the
orders table's items and the checkout's executions are counted around every request. Then the
orders the fuzz placed must all end with every invariant holding, and at least MIN_REQUESTS
requests must have been made.

    .venv/bin/python -m pytest tests/fuzz -p no:cacheprovider
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from localrun.shop import Shop
from localrun.stack import REPO_ROOT, LocalApp
from tests.reliability.conftest import settle

API_DOCUMENT = REPO_ROOT / "docs" / "api" / "openapi.json"
MIN_REQUESTS = 1000
OPERATIONS = 6  # in the document: one added fails the count below until it is fuzzed too
# Stripe's test payment method that pays (the local run's fake Stripe knows it); others decline.
PAYING_TOKENS = ["pm_card_visa"]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",  # valid and invalid requests
            "max-examples": 200,  # per operation, in the fuzzing phase; coverage adds its own
            "deterministic": True,  # the same requests on every run, in CI as here
            "database": "none",  # no replay of an earlier run's failures
            # OpenAPI cannot forbid unknown query parameters, and the API ignores them as HTTP
            # APIs do: one added does not make a request invalid.
            "allow-extra-parameters": False,
        },
        # Every value sent is generated, no real token or address: shown whole, the curl
        # command of a failure reproduces it.
        "output": {"sanitization": {"enabled": False}},
        "phases": {
            "examples": {"enabled": False},  # the document has none
            "stateful": {"enabled": False},  # stateless: the document declares no links
        },
    }
)
schema = schemathesis.openapi.from_path(API_DOCUMENT, config=CONFIG)
# Orders are placed first, so that the reads find some.
placing = schema.include(method="POST")
reading = schema.exclude(method="POST")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

ANSWERS: Counter[tuple[str, int]] = Counter()  # (operation, status) -> requests so answered


@dataclass
class KnownValues:
    """What the API holds, learned from its answers. A client names a catalog sku, its own
    orders, a page token it was given; the document's patterns alone almost never draw one, so
    every valid order would stop at 422 unknown sku and every read at 404. Valid requests are
    mostly steered onto known values (see `_pick`); invalid ones stay as drawn. Every orders
    request, valid or not, is signed in as one of the customers (their real ID tokens): an
    unsigned one would stop at API Gateway's 401 before the API saw it."""

    skus: list[str]
    id_tokens: list[str]
    order_ids: list[str] = field(default_factory=list)
    order_page_tokens: list[str] = field(default_factory=list)
    product_page_tokens: list[str] = field(default_factory=list)

    def steer(self, case: Any) -> None:
        if case.path.startswith("/orders"):
            drawn = (case.body, case.query, case.path_parameters)
            token = self.id_tokens[zlib.crc32(repr(drawn).encode()) % len(self.id_tokens)]
            case.headers = {**(case.headers or {}), "Authorization": token}
        if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
            return
        label, query, path = case.operation.label, case.query, case.path_parameters
        if label == "POST /orders" and isinstance(case.body, dict):
            body = case.body
            body["paymentToken"] = _pick(PAYING_TOKENS, body["paymentToken"])
            for line in body["items"]:
                line["sku"] = _pick(self.skus, line["sku"])
        elif label == "GET /orders":
            if "nextToken" in query:
                query["nextToken"] = _pick(self.order_page_tokens, query["nextToken"])
        elif label == "GET /orders/{orderId}":
            path["orderId"] = _pick(self.order_ids, path["orderId"])
        elif label == "GET /products" and "nextToken" in query:
            query["nextToken"] = _pick(self.product_page_tokens, query["nextToken"])
        elif label == "GET /products/{sku}":
            path["sku"] = _pick(self.skus, path["sku"])

    def learn(self, case: Any, response: Any) -> None:
        # Another method on the path (the coverage phase) is not the operation: an OPTIONS
        # is the CORS preflight, answered 200 with no body.
        if case.method.upper() != case.operation.method.upper():
            return
        if not 200 <= response.status_code < 300:
            return
        label, body = case.operation.label, response.json()
        if label == "POST /orders":
            _add(self.order_ids, body["orderId"])
        elif label == "GET /orders":
            _add(self.order_page_tokens, body["nextToken"])
        elif label == "GET /products":
            _add(self.product_page_tokens, body.get("nextToken"))


def _pick(known: list[str], drawn: Any) -> Any:
    """Three times in four one of `known`, else `drawn`; chosen by the drawn value, so the same
    draw makes the same request (the built-in hash is salted per process)."""
    choice = zlib.crc32(repr(drawn).encode())
    return known[choice // 4 % len(known)] if known and choice % 4 else drawn


def _add(values: list[str], value: str | None) -> None:
    if value is not None and value not in values:
        values.append(value)


@dataclass(frozen=True)
class Writes:
    """What a request could leave behind: the orders table's items (orders and idempotency
    records) and the checkout state machine's executions."""

    orders_items: int
    executions: int


@pytest.fixture(scope="module")
def app():
    with LocalApp().start(virtual_time=True) as running:
        # Requests go to base_url; the checks also read the stage prefix (/dev) from the config
        # to find the operation's path in the URL sent, and so the query as really sent.
        schema.config.update(base_url=running.api_url)
        yield running


@pytest.fixture(scope="module")
def shop(app) -> Shop:
    shop = Shop(app)
    shop.tap_events()  # the outcome events, for the invariants' one email per event
    return shop


@pytest.fixture(scope="module")
def seeded(shop) -> dict[str, int]:
    return {product["sku"]: product["stock"] for product in shop.seed_catalog()}


@pytest.fixture(scope="module")
def known(seeded, shop) -> KnownValues:
    customers = ["fuzz-1@example.com", "fuzz-2@example.com"]
    return KnownValues(skus=list(seeded), id_tokens=[shop.id_token(c) for c in customers])


@pytest.fixture(scope="module")
def count_writes(app):
    dynamodb, sfn = app.client("dynamodb"), app.client("stepfunctions")
    [orders_table] = [t.name for t in app.model.tables if t.logical_id == "OrdersTable"]
    scans, listings = dynamodb.get_paginator("scan"), sfn.get_paginator("list_executions")

    def count() -> Writes:
        pages = scans.paginate(TableName=orders_table, Select="COUNT", ConsistentRead=True)
        executions = listings.paginate(stateMachineArn=app.state_machine_arn)
        return Writes(
            orders_items=sum(page["Count"] for page in pages),
            executions=sum(len(page["executions"]) for page in executions),
        )

    return count


def send_and_check(case, app, known: KnownValues, count_writes) -> None:
    known.steer(case)
    before = count_writes()
    response = case.call(base_url=app.api_url, timeout=60)
    ANSWERS[case.operation.label, response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
    if response.status_code != HTTPStatus.ACCEPTED:
        assert count_writes() == before, (
            f"a {response.status_code} answer wrote: {case.as_curl_command()}\n{response.text}"
        )
    known.learn(case, response)


@placing.parametrize()
def test_placing_orders_answers_as_documented_and_writes_only_when_accepted(
    case, app, known, count_writes
):
    send_and_check(case, app, known, count_writes)


@reading.parametrize()
def test_reading_answers_as_documented_and_writes_nothing(case, app, known, count_writes):
    send_and_check(case, app, known, count_writes)


def test_the_orders_the_fuzz_placed_all_end_with_every_invariant_holding(app, shop, seeded):
    assert settle(app, shop, seeded) == []


def test_the_fuzz_made_enough_requests_and_placed_orders():
    per_operation = Counter[str]()
    for (operation, status), answered in sorted(ANSWERS.items()):
        per_operation[operation] += answered
        print(f"{operation:24} {status}  {answered:5}")
    assert len(per_operation) == OPERATIONS, f"operations fuzzed: {sorted(per_operation)}"
    assert per_operation.total() >= MIN_REQUESTS, f"{per_operation.total()}: {per_operation}"
    assert ANSWERS["POST /orders", HTTPStatus.ACCEPTED] > 0, "no order placed: nothing written"
