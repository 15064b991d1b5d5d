"""The only module that touches the notifications table (besides the Powertools idempotency layer,
which keeps its own records in it)."""

from typing import Any

NOTIFICATION_PREFIX = "NOTIFICATION#"


def notification_key(event_id: str) -> dict[str, str]:
    return {"pk": f"{NOTIFICATION_PREFIX}{event_id}"}


class NotificationRepository:
    def __init__(self, table: Any):
        """`table`: a boto3 DynamoDB Table (module-level in the handler, moto in tests)."""
        self._table = table

    def record_sent(
        self,
        *,
        event_id: str,
        order_id: str,
        email: str,
        template: str,
        ses_message_id: str,
        sent_at: str,
    ) -> dict[str, str]:
        """Record an email SES accepted: the audit trail of what each customer was told.

        A plain put, not a conditional one: the guard against a second send is the idempotency
        record written (conditionally) before the send. Once the email is out, refusing to
        record it would only make SQS retry, and send, again.
        """
        item = {
            **notification_key(event_id),
            "eventId": event_id,
            "orderId": order_id,
            "email": email,
            "template": template,
            "sesMessageId": ses_message_id,
            "sentAt": sent_at,
        }
        self._table.put_item(Item=item)
        return item

    def get(self, event_id: str) -> dict[str, Any] | None:
        return self._table.get_item(Key=notification_key(event_id), ConsistentRead=True).get("Item")
