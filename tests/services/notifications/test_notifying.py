"""The notify use case: compose, send through the mailer, record; moto SES + DynamoDB."""

import json
import re

import boto3
import pytest

from notifications_service.adapters.customers import CognitoCustomers
from notifications_service.adapters.mailer import SesMailer
from notifications_service.errors import CustomerDirectoryUnavailable, NotificationDeliveryFailed
from notifications_service.models import parse_order_outcome
from tests.services.notifications.helpers import (
    JANE,
    SENDER_EMAIL,
    event_bodies,
    load_event,
    notification,
    sent_messages,
)
from tests.support.aws import REGION
from tests.support.cfn import table_items

# What domain.now() writes: UTC, ISO 8601, milliseconds.
MILLISECOND_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


@pytest.fixture
def confirmed():
    return parse_order_outcome(json.dumps(event_bodies(load_event("send-notification.json"))[0]))


@pytest.fixture
def failed():
    return parse_order_outcome(json.dumps(event_bodies(load_event("send-notification.json"))[1]))


def test_sends_the_composed_email_and_records_it(
    notifying, customers, ses, repository, table, confirmed, published_metrics, log_output
):
    result = notifying.notify(
        confirmed,
        customers=customers,
        mailer=SesMailer(ses, SENDER_EMAIL),
        notifications=repository,
    )

    [email] = sent_messages()
    assert email.destinations == {"ToAddresses": ["jane.doe@example.com"]}
    assert email.subject == "Your order ord-7f3a9c1e is confirmed"
    assert result == {"eventId": confirmed.id, "template": "confirmed", "sesMessageId": email.id}
    record = notification(table, confirmed.id)
    assert record is not None
    assert MILLISECOND_UTC.match(record.pop("sentAt"))
    assert record == {
        "pk": f"NOTIFICATION#{confirmed.id}",
        "eventId": confirmed.id,
        "orderId": "ord-7f3a9c1e",
        "email": "jane.doe@example.com",
        "template": "confirmed",
        "sesMessageId": email.id,
    }
    assert published_metrics() == {"NotificationsSent": 1}
    [sent_log] = [json.loads(line) for line in log_output.getvalue().splitlines()]
    assert sent_log["message"] == "Notification sent"
    assert (sent_log["template"], sent_log["eventId"]) == ("confirmed", confirmed.id)
    assert "jane.doe@example.com" not in log_output.getvalue()


def test_a_failed_order_gets_the_failure_email(
    notifying, customers, ses, repository, table, failed
):
    result = notifying.notify(
        failed, customers=customers, mailer=SesMailer(ses, SENDER_EMAIL), notifications=repository
    )

    [email] = sent_messages()
    assert email.subject == "We could not complete your order ord-2b8e4d60"
    assert result["template"] == "failed"
    assert notification(table, failed.id)["template"] == "failed"


def test_an_email_ses_refuses_is_not_recorded(
    notifying, customers, unverified_ses, repository, table, confirmed, published_metrics
):
    mailer = SesMailer(unverified_ses, SENDER_EMAIL)

    with pytest.raises(NotificationDeliveryFailed):
        notifying.notify(confirmed, customers=customers, mailer=mailer, notifications=repository)

    # Nothing says it was sent, so the retry SQS makes is free to send it.
    assert table_items(table) == []
    assert published_metrics() == {}


@pytest.mark.parametrize(
    ("attributes", "why"),
    [
        (None, "the account was deleted since the order"),
        ([{"Name": "email", "Value": "jane.doe@example.com"}], "the address was never verified"),
        (
            [
                {"Name": "email", "Value": "jane.doe@example..com"},
                {"Name": "email_verified", "Value": "true"},
            ],
            "SES would refuse the address",
        ),
    ],
)
def test_a_customer_without_a_deliverable_address_gets_nothing_and_the_event_is_done(
    notifying,
    user_pool,
    customers,
    ses,
    repository,
    table,
    confirmed,
    published_metrics,
    attributes,
    why,
):
    cognito = boto3.client("cognito-idp", region_name=REGION)
    cognito.admin_delete_user(UserPoolId=user_pool, Username=JANE)
    if attributes is not None:
        cognito.admin_create_user(
            UserPoolId=user_pool, Username=JANE, UserAttributes=attributes, MessageAction="SUPPRESS"
        )

    result = notifying.notify(
        confirmed,
        customers=customers,
        mailer=SesMailer(ses, SENDER_EMAIL),
        notifications=repository,
    )

    assert result["undeliverable"] == "true", why
    assert sent_messages() == [] and table_items(table) == []
    assert published_metrics() == {"NotificationsUndeliverable": 1}


def test_a_user_pool_that_cannot_be_read_is_retried_and_records_nothing(
    notifying, ses, repository, table, confirmed
):
    # No such pool: AdminGetUser fails with ResourceNotFoundException, as it would on a denied
    # or throttled call: nothing is sent, nothing recorded, SQS delivers the event again.
    unreadable = CognitoCustomers(boto3.client("cognito-idp", region_name=REGION), "us-east-1_gone")

    with pytest.raises(CustomerDirectoryUnavailable):
        notifying.notify(
            confirmed,
            customers=unreadable,
            mailer=SesMailer(ses, SENDER_EMAIL),
            notifications=repository,
        )

    assert sent_messages() == [] and table_items(table) == []
