"""SES adapter: the only module that sends email. Kept apart from domain.py (no AWS calls there)
and repository.py (table only)."""

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from notifications_service.domain import EmailMessage
from notifications_service.errors import NotificationDeliveryFailed

if TYPE_CHECKING:  # the stubs are a development dependency, not in the Lambda runtime
    from mypy_boto3_ses import SESClient


class SesMailer:
    def __init__(self, ses_client: "SESClient", sender: str):
        """`ses_client` is boto3.client("ses"); `sender` a verified SES identity (SENDER_EMAIL)."""
        self._ses = ses_client
        self._sender = sender

    def send(self, *, recipient: str, message: EmailMessage) -> str:
        """Send a plain-text email; return SES's message id."""
        try:
            response = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [recipient]},
                Message={
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
                },
            )
        except ClientError as error:
            # Keep the code only: SES messages can quote the recipient's address.
            raise NotificationDeliveryFailed(error.response["Error"]["Code"]) from None
        return response["MessageId"]
