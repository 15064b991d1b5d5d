"""Errors of the notifications service.

The class name is what the SQS batch processor records for a failed message. Messages carry
no customer data (no email address, no provider text that may quote one).
"""


class InvalidNotificationEvent(Exception):
    """An SQS message that is not an order outcome event we can email about."""

    def __init__(self, message_id: str):
        super().__init__(f"SQS message {message_id} is not a valid order outcome event")
        self.message_id = message_id


class NotificationDeliveryFailed(Exception):
    """SES did not accept the email (throttled, unverified sender, ...)."""

    def __init__(self, error_code: str):
        super().__init__(f"SES did not accept the email: {error_code}")
        self.error_code = error_code


class CustomerDirectoryUnavailable(Exception):
    """The user pool could not be read (throttled, no permission, ...): retried by SQS."""

    def __init__(self, error_code: str):
        super().__init__(f"the customer's address could not be read: {error_code}")
        self.error_code = error_code


class NotStartedForLackOfTime(Exception):
    """Too little of the invocation was left to send an email and record it: the record is
    handed back to SQS untouched, rather than cut off by the timeout after SES accepted it."""

    def __init__(self, remaining_ms: int):
        super().__init__(f"not started: {remaining_ms} ms left in the invocation")
        self.remaining_ms = remaining_ms
