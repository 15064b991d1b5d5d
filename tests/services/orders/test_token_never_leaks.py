"""UpdateOrderStatus receives the whole execution state: when its model
refuses the payload, neither the ValidationError (as Lambda reports it) nor any log line quotes
the token, and the order is unchanged."""

import pytest

from tests.support.cfn import table_items
from tests.support.leaks import (
    PAYMENT_TOKEN,
    assert_refused_without_showing_the_token,
    execution_state,
)

MALFORMED = {
    "status missing": execution_state(),
    "status unknown": execution_state(status="SHIPPED"),
    "order id an object": execution_state(orderId={"token": PAYMENT_TOKEN}, status="FAILED"),
    "reason an object": execution_state(status="FAILED", reason={"token": PAYMENT_TOKEN}),
    "not an object": [PAYMENT_TOKEN],
}


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_status_update_never_shows_the_token_and_writes_nothing(
    update_order_status, aws, context, capsys, payload
):
    before = table_items(aws["table"])
    assert_refused_without_showing_the_token(update_order_status, payload, context, capsys)
    assert table_items(aws["table"]) == before
