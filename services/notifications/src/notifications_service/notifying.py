"""Notifying a customer of an order's outcome: find their address, compose the email, send it,
record what was sent.

Runs once per EventBridge event id: the handler wraps it in the Powertools idempotency layer,
so a redelivered copy of an event gets the first result back instead of a second email.
"""

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from notifications_service.domain import compose_email, now
from notifications_service.models import OrderConfirmedEvent, OrderFailedEvent, is_deliverable
from notifications_service.observability import logger, metrics

if TYPE_CHECKING:
    from notifications_service.adapters.customers import CognitoCustomers
    from notifications_service.adapters.mailer import SesMailer
    from notifications_service.repository import NotificationRepository


def notify(
    event: OrderConfirmedEvent | OrderFailedEvent,
    *,
    customers: "CognitoCustomers",
    mailer: "SesMailer",
    notifications: "NotificationRepository",
) -> dict[str, str]:
    """Email the customer and record it; returns what the idempotency record keeps.

    A customer with no verified, deliverable address (an account deleted since the order) gets
    no email, and the event is done: retrying would not give them one. Raises
    CustomerDirectoryUnavailable or NotificationDeliveryFailed (from the adapters) when the user
    pool or SES fails; then nothing is recorded, so a retry is free to send.
    """
    message = compose_email(event)
    recipient = customers.verified_email(event.detail.customerId)
    if recipient is None or not is_deliverable(recipient):
        metrics.add_metric(name="NotificationsUndeliverable", unit=MetricUnit.Count, value=1)
        logger.warning(
            "No verified address for the customer: no email", extra={"eventId": event.id}
        )
        return {"eventId": event.id, "template": message.template, "undeliverable": "true"}
    ses_message_id = mailer.send(recipient=recipient, message=message)
    notifications.record_sent(
        event_id=event.id,
        order_id=event.detail.orderId,
        email=recipient,
        template=message.template,
        ses_message_id=ses_message_id,
        sent_at=now(),
    )
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=1)
    logger.info("Notification sent", extra={"template": message.template, "eventId": event.id})
    # Stored in the idempotency record: no email address in it.
    return {"eventId": event.id, "template": message.template, "sesMessageId": ses_message_id}
