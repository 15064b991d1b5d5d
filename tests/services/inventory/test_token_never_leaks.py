"""Every stock task receives the whole execution state: when its model
refuses the payload, neither the ValidationError (as Lambda reports it) nor any log line quotes
the token, and nothing is written."""

import pytest

from tests.support.leaks import (
    PAYMENT_TOKEN,
    assert_refused_without_showing_the_token,
    execution_state,
)

MALFORMED = {
    "order id an object": execution_state(orderId={"token": PAYMENT_TOKEN}),
    "order id missing": execution_state(orderId=None),
    "not an object": [PAYMENT_TOKEN],
}
MALFORMED_CARTS = {
    "a line not an object": execution_state(items=[PAYMENT_TOKEN]),
    "a sku the token and an object": execution_state(items=[{"sku": {"t": PAYMENT_TOKEN}}]),
}


@pytest.mark.parametrize("task", ["reserve_stock", "commit_stock", "release_stock"])
@pytest.mark.parametrize("payload", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_task_never_shows_the_token_and_writes_nothing(
    handler_module, lambda_context, capsys, catalog, snapshot, task, payload
):
    before = snapshot()
    assert_refused_without_showing_the_token(handler_module(task), payload, lambda_context, capsys)
    assert snapshot() == before


@pytest.mark.parametrize("payload", MALFORMED_CARTS.values(), ids=list(MALFORMED_CARTS))
def test_a_malformed_cart_never_shows_the_token_and_reserves_nothing(
    handler_module, lambda_context, capsys, catalog, snapshot, payload
):
    before = snapshot()
    assert_refused_without_showing_the_token(
        handler_module("reserve_stock"), payload, lambda_context, capsys
    )
    assert snapshot() == before
