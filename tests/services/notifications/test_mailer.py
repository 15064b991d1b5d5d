"""SES adapter (adapters/mailer.py) against moto SES."""

import pytest

from notifications_service.adapters.mailer import SesMailer
from notifications_service.domain import EmailMessage
from notifications_service.errors import NotificationDeliveryFailed
from tests.services.notifications.helpers import SENDER_EMAIL, sent_messages

MESSAGE = EmailMessage(template="confirmed", subject="Your order o-1", body="Total: 1.00 USD")


def test_send_returns_ses_message_id(ses):
    message_id = SesMailer(ses, SENDER_EMAIL).send(recipient="jane@example.com", message=MESSAGE)

    [sent] = sent_messages()
    assert sent.id == message_id
    assert sent.source == SENDER_EMAIL
    assert sent.destinations == {"ToAddresses": ["jane@example.com"]}
    assert sent.subject == "Your order o-1"
    assert sent.body == "Total: 1.00 USD"


def test_unverified_sender_raises_with_the_code_only(unverified_ses):
    mailer = SesMailer(unverified_ses, SENDER_EMAIL)

    with pytest.raises(NotificationDeliveryFailed) as raised:
        mailer.send(recipient="jane@example.com", message=MESSAGE)

    assert raised.value.error_code == "MessageRejected"
    assert "@" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert sent_messages() == []
