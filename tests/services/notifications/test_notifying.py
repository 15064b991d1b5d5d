"""The notify use case: compose, send through the mailer, record; moto SES + DynamoDB."""

import json
import re

import pytest

from notifications_service.adapters.mailer import SesMailer
from notifications_service.errors import NotificationDeliveryFailed
from notifications_service.models import parse_order_outcome
from tests.services.notifications.helpers import (
    SENDER_EMAIL,
    event_bodies,
    load_event,
    notification,
    sent_messages,
)
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
    notifying, ses, repository, table, confirmed, published_metrics, log_output
):
    result = notifying.notify(
        confirmed, mailer=SesMailer(ses, SENDER_EMAIL), notifications=repository
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


def test_a_failed_order_gets_the_failure_email(notifying, ses, repository, table, failed):
    result = notifying.notify(failed, mailer=SesMailer(ses, SENDER_EMAIL), notifications=repository)

    [email] = sent_messages()
    assert email.subject == "We could not complete your order ord-2b8e4d60"
    assert result["template"] == "failed"
    assert notification(table, failed.id)["template"] == "failed"


def test_an_email_ses_refuses_is_not_recorded(
    notifying, unverified_ses, repository, table, confirmed, published_metrics
):
    mailer = SesMailer(unverified_ses, SENDER_EMAIL)

    with pytest.raises(NotificationDeliveryFailed):
        notifying.notify(confirmed, mailer=mailer, notifications=repository)

    # Nothing says it was sent, so the retry SQS makes is free to send it.
    assert table_items(table) == []
    assert published_metrics() == {}
