"""UpdateOrderStatus receives the whole execution state, payment token included: when its model
refuses the payload, neither the ValidationError (as Lambda reports it) nor any log line quotes
the token, and the order is unchanged."""

import pytest
from pydantic import ValidationError

from tests.support.cfn import table_items
from tests.support.leaks import PAYMENT_TOKEN, execution_state, failure_report, log_lines

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
    with log_lines(update_order_status.logger) as logs, pytest.raises(ValidationError) as invalid:
        update_order_status.handler(payload, context)

    printed = capsys.readouterr()
    for text in (failure_report(invalid.value), logs.getvalue(), printed.out, printed.err):
        assert PAYMENT_TOKEN not in text
    assert table_items(aws["table"]) == before
