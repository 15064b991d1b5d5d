"""Order outcome events held to their contract at the consumer: a count or an amount that is not
a JSON integer is refused, not coerced; an id must be what keys take, an address what SES takes. A
refused record is reported for SQS to retry and then park in the DLQ; nothing is emailed or
recorded for it."""

import json

import boto3
import pytest

from tests.services.notifications.helpers import JANE, load_event, sent_messages
from tests.support.aws import REGION
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


def assert_refused_alone(response: dict, refused: str, table) -> None:
    """The handler reported `refused` alone as failed, and the batch's other record (an
    OrderFailed for sam.lee) alone was emailed and recorded."""
    assert response == {"batchItemFailures": [{"itemIdentifier": refused}]}
    assert [m.destinations["ToAddresses"] for m in sent_messages()] == [["sam.lee@example.org"]]
    recorded = {item["orderId"] for item in table.scan()["Items"] if "orderId" in item}
    assert recorded == {"ord-2b8e4d60"}


def rejection(log_output, refused: str) -> dict:
    """The log line rejecting `refused` as an invalid event (bound for the DLQ, not left for SES
    to turn down)."""
    logs = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [line] = [log for log in logs if log.get("messageId") == refused]
    assert line["message"] == "Rejected a message that is not a valid order outcome event"
    return line


def set_order_id(value):
    return lambda detail: detail.update(orderId=value)


def set_amount(value):
    return lambda detail: detail.update(amountCents=value)


def set_first_quantity(value):
    return lambda detail: detail["items"][0].update(quantity=value)


def set_first_unit_price(value):
    return lambda detail: detail["items"][0].update(unitPriceCents=value)


# Each breaks the contract of an OrderConfirmed event in one field.
OFF_CONTRACT = {
    "order id with NUL": set_order_id("ord-7f3a\u00009c1e"),
    "order id with a space": set_order_id("ord 7f3a9c1e"),
    "order id not ASCII": set_order_id("ord-7f3a9c1é"),
    "customer id with NUL": lambda detail: detail.update(customerId="0f8e\u00004c2a"),
    "no customer id": lambda detail: detail.pop("customerId"),
    "amount as a string": set_amount("3097"),
    "amount as a float": set_amount(3097.0),
    "amount as a boolean": set_amount(True),
    "quantity as a string": set_first_quantity("2"),
    "quantity as a float": set_first_quantity(2.0),
    "quantity as a boolean": set_first_quantity(True),
    "unit price as a string": set_first_unit_price("1299"),
    "unit price as a float": set_first_unit_price(1299.0),
}


@pytest.mark.parametrize("change", OFF_CONTRACT.values(), ids=list(OFF_CONTRACT))
def test_an_event_off_its_contract_is_refused_and_nothing_is_sent_for_it(
    ses, table, send_notification, lambda_context, change
):
    event, refused = batch_with_confirmed(change)

    response = send_notification.handler(event, lambda_context)

    assert_refused_alone(response, refused, table)


def test_the_reported_address_is_never_handed_to_ses(
    ses, user_pool, table, send_notification, lambda_context, log_output
):
    """Addresses come from the user pool now, which may hold one SES would refuse: that customer
    gets no email (retrying cannot give them one) and the batch's other email goes out."""
    address = REFUSED["the reported one: emoji, NUL and SQL"]
    boto3.client("cognito-idp", region_name=REGION).admin_update_user_attributes(
        UserPoolId=user_pool, Username=JANE, UserAttributes=[{"Name": "email", "Value": address}]
    )

    response = send_notification.handler(load_event("send-notification.json"), lambda_context)

    assert response == {"batchItemFailures": []}
    assert [m.destinations["ToAddresses"] for m in sent_messages()] == [["sam.lee@example.org"]]
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

    assert_refused_alone(response, refused, table)
    assert "orderId" not in rejection(log_output, refused)  # none could be read, so none logged
