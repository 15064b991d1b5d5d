"""A payment task whose payload its model refuses fails with ValidationError; neither that error
(as Lambda reports and logs it, chained causes included) nor any log or metric line quotes the
payment token the payload carries (every task receives the whole execution state)."""

import json

import pytest
from pydantic import ValidationError

from tests.support.leaks import PAYMENT_TOKEN, execution_state, failure_report, log_lines

MALFORMED = {
    "amount missing": execution_state(amountCents=None),
    "amount a string": execution_state(amountCents="2598"),
    "token not a string": execution_state(paymentToken=[PAYMENT_TOKEN]),
    "order id missing": execution_state(orderId=None),
    "order id an object": execution_state(orderId={"token": PAYMENT_TOKEN}),
    "currency the token": execution_state(currency=PAYMENT_TOKEN),
    "not an object": [PAYMENT_TOKEN],
    "truncated JSON text": json.dumps(execution_state())[:-1],
}
REFUSED_BY_REFUND = ["order id missing", "order id an object", "not an object"]


def assert_token_never_shown(handler_module, payload, lambda_context, capsys) -> None:
    with log_lines(handler_module.logger) as logs, pytest.raises(ValidationError) as invalid:
        handler_module.handler(payload, lambda_context)
    printed = capsys.readouterr()
    for text in (failure_report(invalid.value), logs.getvalue(), printed.out, printed.err):
        assert PAYMENT_TOKEN not in text


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_charge_never_shows_the_token_and_writes_nothing(
    charge_handler, lambda_context, capsys, snapshot, payload
):
    assert_token_never_shown(charge_handler, payload, lambda_context, capsys)
    assert snapshot() == {}


@pytest.mark.parametrize("name", REFUSED_BY_REFUND)
def test_a_malformed_refund_never_shows_the_token_and_writes_nothing(
    refund_handler, lambda_context, capsys, snapshot, name
):
    assert_token_never_shown(refund_handler, MALFORMED[name], lambda_context, capsys)
    assert snapshot() == {}
