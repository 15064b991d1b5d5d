"""The only module that touches the notifications table (besides the Powertools idempotency layer,
which keeps its own records in it).

Through the low-level DynamoDB client, which the idempotency layer needs too: one client per
function instead of a client plus a `boto3.resource`, a cheaper cold start.
"""

from typing import TYPE_CHECKING

from notifications_service.dynamodb import to_item

if TYPE_CHECKING:  # the stubs are a development dependency, not in the Lambda runtime
    from mypy_boto3_dynamodb import DynamoDBClient

NOTIFICATION_PREFIX = "NOTIFICATION#"


def notification_key(event_id: str) -> dict[str, str]:
    return {"pk": f"{NOTIFICATION_PREFIX}{event_id}"}


class NotificationRepository:
    def __init__(self, client: "DynamoDBClient", table_name: str):
        """`client`: a boto3 DynamoDB client (module-level in the handler, moto in tests)."""
        self._client = client
        self._table_name = table_name

    def record_sent(
        self,
        *,
        event_id: str,
        order_id: str,
        email: str,
        template: str,
        ses_message_id: str,
        sent_at: str,
    ) -> None:
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
        self._client.put_item(TableName=self._table_name, Item=to_item(item))
