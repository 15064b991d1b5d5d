"""Order outcome events held to their contract at the consumer: a count or an amount that is not
a JSON integer is refused, not coerced. A refused record is reported for SQS to retry and then
park in the DLQ; nothing is emailed or recorded for it."""

import json

import pytest

from tests.services.notifications.helpers import load_event, sent_messages


def batch_with_confirmed(change) -> tuple[dict, str]:
    """The sample batch with its OrderConfirmed event changed by `change(detail)`; returns the
    SQS event and that record's message id."""
    event = load_event("send-notification.json")
    confirmed = event["Records"][0]
    body = json.loads(confirmed["body"])
    change(body["detail"])
    confirmed["body"] = json.dumps(body)
    return event, confirmed["messageId"]


def set_amount(value):
    return lambda detail: detail.update(amountCents=value)


def set_first_quantity(value):
    return lambda detail: detail["items"][0].update(quantity=value)


def set_first_unit_price(value):
    return lambda detail: detail["items"][0].update(unitPriceCents=value)


NOT_INTEGERS = {
    "amount as a string": set_amount("3097"),
    "amount as a float": set_amount(3097.0),
    "amount as a boolean": set_amount(True),
    "quantity as a string": set_first_quantity("2"),
    "quantity as a float": set_first_quantity(2.0),
    "quantity as a boolean": set_first_quantity(True),
    "unit price as a string": set_first_unit_price("1299"),
    "unit price as a float": set_first_unit_price(1299.0),
}


@pytest.mark.parametrize("change", NOT_INTEGERS.values(), ids=list(NOT_INTEGERS))
def test_a_count_or_amount_that_is_not_an_integer_is_refused_and_nothing_is_sent_for_it(
    ses, table, send_notification, lambda_context, change
):
    event, refused = batch_with_confirmed(change)

    response = send_notification.handler(event, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": refused}]}
    # Only the other record of the batch (an OrderFailed for sam.lee) was emailed and recorded.
    assert [m.destinations["ToAddresses"] for m in sent_messages()] == [["sam.lee@example.org"]]
    assert {item["orderId"] for item in table.scan()["Items"] if "orderId" in item} == {
        "ord-2b8e4d60"
    }
