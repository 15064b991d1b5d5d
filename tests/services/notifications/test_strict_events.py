"""Order outcome events held to their contract at the consumer: a count or an amount that is not
a JSON integer is refused, not coerced. A refused record is reported for SQS to retry and then
park in the DLQ; nothing is emailed or recorded for it."""

import json

import pytest

from tests.services.notifications.helpers import load_event, sent_messages
from tests.support.email_addresses import REFUSED


def batch_with_confirmed(change) -> tuple[dict, str]:
    """The sample batch with its OrderConfirmed event changed by `change(detail)`; returns the
    SQS event and that record's message id."""
    event = load_event("send-notification.json")
    confirmed = event["Records"][0]
    body = json.loads(confirmed["body"])
    change(body["detail"])
    confirmed["body"] = json.dumps(body)
    return event, confirmed["messageId"]


def assert_only_the_other_record_went_out(table) -> None:
    """The batch's other record (an OrderFailed for sam.lee) alone was emailed and recorded."""
    assert [m.destinations["ToAddresses"] for m in sent_messages()] == [["sam.lee@example.org"]]
    recorded = {item["orderId"] for item in table.scan()["Items"] if "orderId" in item}
    assert recorded == {"ord-2b8e4d60"}


def set_order_id(value):
    return lambda detail: detail.update(orderId=value)


def set_amount(value):
    return lambda detail: detail.update(amountCents=value)


def set_first_quantity(value):
    return lambda detail: detail["items"][0].update(quantity=value)


def set_first_unit_price(value):
    return lambda detail: detail["items"][0].update(unitPriceCents=value)


NOT_IDENTIFIERS = {
    "order id with NUL": set_order_id("ord-7f3a\u00009c1e"),
    "order id with a space": set_order_id("ord 7f3a9c1e"),
    "order id not ASCII": set_order_id("ord-7f3a9c1é"),
}


@pytest.mark.parametrize("change", NOT_IDENTIFIERS.values(), ids=list(NOT_IDENTIFIERS))
def test_an_order_id_that_is_not_an_identifier_is_refused_and_nothing_is_sent_for_it(
    ses, table, send_notification, lambda_context, change
):
    event, refused = batch_with_confirmed(change)

    response = send_notification.handler(event, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": refused}]}
    assert_only_the_other_record_went_out(table)


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
    assert_only_the_other_record_went_out(table)


def test_the_reported_email_is_refused_and_never_handed_to_ses(
    ses, table, send_notification, lambda_context, log_output
):
    address = REFUSED["the reported one: emoji, NUL and SQL"]
    event, refused = batch_with_confirmed(lambda detail: detail.update(email=address))

    response = send_notification.handler(event, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": refused}]}
    assert_only_the_other_record_went_out(table)
    # Refused as an invalid event (bound for the DLQ), not left to SES to turn down.
    logs = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [rejection] = [log for log in logs if log.get("messageId") == refused]
    assert rejection["message"] == "Rejected a message that is not a valid order outcome event"
    assert {"loc": ["OrderConfirmed", "detail", "email"], "type": "string_pattern_mismatch"} in (
        rejection["errors"]
    )
    assert "DROP" not in log_output.getvalue()


@pytest.mark.parametrize(
    "body",
    ["[" * 10_000 + "]" * 10_000, '{"detail": {"orderId": ' + "[" * 10_000 + "]" * 10_000 + "}}"],
    ids=["whole body", "order id"],
)
def test_a_body_nested_10000_deep_is_rejected_as_invalid_like_any_other(
    ses, table, send_notification, lambda_context, log_output, body
):
    event = load_event("send-notification.json")
    event["Records"][0]["body"] = body
    refused = event["Records"][0]["messageId"]

    response = send_notification.handler(event, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": refused}]}
    assert_only_the_other_record_went_out(table)
    logs = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [rejection] = [log for log in logs if log.get("messageId") == refused]
    assert rejection["message"] == "Rejected a message that is not a valid order outcome event"
    assert "orderId" not in rejection  # none could be read, so none is logged
