"""A payment function whose payload its model refuses fails with ValidationError; neither that
error (as Lambda reports and logs it, chained causes included) nor any log or metric line quotes
a value of the payload: the token RegisterPayment takes, or one put where a task expects its
fields (every task receives the whole execution state)."""

import json

import pytest

from tests.support.leaks import (
    PAYMENT_TOKEN,
    assert_refused_without_showing_the_token,
    execution_state,
)

MALFORMED = {
    "amount missing": execution_state(amountCents=None),
    "amount a string": execution_state(amountCents="2598"),
    "reference not a string": execution_state(paymentReference=[PAYMENT_TOKEN]),
    "order id missing": execution_state(orderId=None),
    "order id an object": execution_state(orderId={"token": PAYMENT_TOKEN}),
    "currency the token": execution_state(currency=PAYMENT_TOKEN),
    "not an object": [PAYMENT_TOKEN],
    "truncated JSON text": json.dumps(execution_state())[:-1],
}
REFUSED_BY_REFUND = ["order id missing", "order id an object", "not an object"]


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_charge_never_shows_the_token_and_writes_nothing(
    charge_handler, lambda_context, capsys, snapshot, payload
):
    assert_refused_without_showing_the_token(charge_handler, payload, lambda_context, capsys)
    assert snapshot() == {}


@pytest.mark.parametrize("name", REFUSED_BY_REFUND)
def test_a_malformed_refund_never_shows_the_token_and_writes_nothing(
    refund_handler, lambda_context, capsys, snapshot, name
):
    assert_refused_without_showing_the_token(
        refund_handler, MALFORMED[name], lambda_context, capsys
    )
    assert snapshot() == {}


REGISTRATIONS = {
    "order id missing": {"paymentToken": PAYMENT_TOKEN},
    "order id an object": {"orderId": {"token": PAYMENT_TOKEN}, "paymentToken": PAYMENT_TOKEN},
    "token not a string": {"orderId": "ord-1", "paymentToken": [PAYMENT_TOKEN]},
    "token too long": {"orderId": "ord-1", "paymentToken": PAYMENT_TOKEN * 10},
    "not an object": [PAYMENT_TOKEN],
}


@pytest.mark.parametrize("payload", REGISTRATIONS.values(), ids=list(REGISTRATIONS))
def test_a_malformed_registration_never_shows_the_token_and_writes_nothing(
    register_handler, lambda_context, capsys, snapshot, payload
):
    assert_refused_without_showing_the_token(register_handler, payload, lambda_context, capsys)
    assert snapshot() == {}
