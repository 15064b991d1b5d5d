"""SendNotificationFunction driven by the events/notifications files; moto SES + DynamoDB."""

from datetime import datetime

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from tests.services.notifications.helpers import (
    emitted_metrics,
    event_bodies,
    load_event,
    notification,
    sent_messages,
)

CONFIRMED_EVENT_ID = "5b1f3c2e-8a4d-4e6f-9b7a-1c2d3e4f5a6b"
FAILED_EVENT_ID = "9c8d7e6f-5a4b-4c3d-8e2f-0a1b2c3d4e5f"


def _emails_by_recipient() -> dict[str, object]:
    return {message.destinations["ToAddresses"][0]: message for message in sent_messages()}


def _all_items(table) -> list[dict]:
    return table.scan(ConsistentRead=True)["Items"]


def _notification_items(table) -> list[dict]:
    return [item for item in _all_items(table) if item["pk"].startswith("NOTIFICATION#")]


def _failed_ids(response: dict) -> set[str]:
    return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}


def test_emails_each_customer_their_outcome(ses, send_notification, lambda_context, capsys):
    response = send_notification.handler(load_event("send-notification.json"), lambda_context)

    assert response == {"batchItemFailures": []}
    emails = _emails_by_recipient()
    assert set(emails) == {"jane.doe@example.com", "sam.lee@example.org"}
    confirmed, failed = emails["jane.doe@example.com"], emails["sam.lee@example.org"]
    assert confirmed.source == failed.source == "orders@example.com"
    assert confirmed.subject == "Your order ord-7f3a9c1e is confirmed"
    assert "Total: 30.97 USD" in confirmed.body
    assert failed.subject == "We could not complete your order ord-2b8e4d60"
    assert "your payment was declined" in failed.body
    assert "PaymentDeclined" not in failed.body
    assert emitted_metrics(capsys.readouterr().out).get("NotificationsSent") == 2


def test_records_what_was_sent(ses, table, send_notification, lambda_context):
    send_notification.handler(load_event("send-notification.json"), lambda_context)

    message_ids = {m.destinations["ToAddresses"][0]: m.id for m in sent_messages()}
    confirmed = notification(table, CONFIRMED_EVENT_ID)
    failed = notification(table, FAILED_EVENT_ID)
    assert confirmed["orderId"] == "ord-7f3a9c1e"
    assert confirmed["email"] == "jane.doe@example.com"
    assert confirmed["template"] == "confirmed"
    assert confirmed["sesMessageId"] == message_ids["jane.doe@example.com"]
    assert datetime.fromisoformat(confirmed["sentAt"]).tzinfo is not None
    assert failed["orderId"] == "ord-2b8e4d60"
    assert failed["template"] == "failed"
    assert failed["sesMessageId"] == message_ids["sam.lee@example.org"]
    assert len(_notification_items(table)) == 2


def test_same_event_twice_in_a_batch_sends_one_email(
    ses, table, send_notification, lambda_context, capsys
):
    event = load_event("send-notification-duplicate.json")
    assert len({record["messageId"] for record in event["Records"]}) == 2
    assert len({body["id"] for body in event_bodies(event)}) == 1

    response = send_notification.handler(event, lambda_context)

    # The copy is not a failure: it is acknowledged so SQS deletes it.
    assert response == {"batchItemFailures": []}
    assert len(sent_messages()) == 1
    assert len(_notification_items(table)) == 1
    assert emitted_metrics(capsys.readouterr().out).get("NotificationsSent") == 1


def test_redelivered_batch_sends_nothing_new(
    ses, table, send_notification, lambda_context, capsys, log_output
):
    send_notification.handler(load_event("send-notification.json"), lambda_context)
    first = notification(table, CONFIRMED_EVENT_ID)
    capsys.readouterr()

    response = send_notification.handler(load_event("send-notification.json"), lambda_context)

    assert response == {"batchItemFailures": []}
    assert len(sent_messages()) == 2
    assert notification(table, CONFIRMED_EVENT_ID) == first
    assert "NotificationsSent" not in emitted_metrics(capsys.readouterr().out)
    # The idempotency layer's response hook ran for each replayed event.
    duplicates = [line for line in log_output.getvalue().splitlines() if "Duplicate event" in line]
    assert len(duplicates) == 2


def test_invalid_records_are_reported_and_the_good_one_is_sent(
    ses, table, send_notification, lambda_context, capsys, log_output
):
    event = load_event("send-notification-invalid.json")
    _good, *bad = event["Records"]

    response = send_notification.handler(event, lambda_context)

    # Reported (not dropped): after maxReceiveCount SQS moves them to the DLQ.
    assert _failed_ids(response) == {record["messageId"] for record in bad}
    assert list(_emails_by_recipient()) == ["jane.doe@example.com"]
    assert [item["orderId"] for item in _notification_items(table)] == ["ord-7f3a9c1e"]
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics.get("NotificationsRejected") == 3
    assert metrics.get("NotificationsSent") == 1
    # The unknown-type record carries Jane's address: logs name the order, never the address.
    rejections = [line for line in log_output.getvalue().splitlines() if "Rejected" in line]
    assert len(rejections) == 3
    assert any('"orderId":"ord-7f3a9c1e"' in line for line in rejections)
    assert "jane.doe@example.com" not in log_output.getvalue()


def test_ses_rejecting_everything_fails_the_batch_and_records_nothing(
    unverified_ses, table, send_notification, lambda_context
):
    event = load_event("send-notification.json")

    # Every record failed: the invocation errors (visible in the Errors metric), SQS retries.
    with pytest.raises(BatchProcessingError):
        send_notification.handler(event, lambda_context)

    assert sent_messages() == []
    # Neither NOTIFICATION records nor idempotency records: the retry is free to send.
    assert _all_items(table) == []

    unverified_ses.verify_email_identity(EmailAddress="orders@example.com")
    assert send_notification.handler(event, lambda_context) == {"batchItemFailures": []}
    assert len(sent_messages()) == 2


SEND_EMAIL_HOOK = "before-parameter-build.ses.SendEmail"


@pytest.fixture
def ses_throttles_sam(send_notification):
    """SES throttles sends to sam.lee@example.org (a per-record SES failure) until stopped."""
    throttling = {"on": True}

    def throttle(params, **_):
        if throttling["on"] and params["Destination"]["ToAddresses"] == ["sam.lee@example.org"]:
            error = {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}
            raise ClientError(error, "SendEmail")

    events = send_notification.ses_client.meta.events
    events.register(SEND_EMAIL_HOOK, throttle)
    yield lambda: throttling.update(on=False)
    events.unregister(SEND_EMAIL_HOOK, throttle)


def test_ses_failure_reports_only_that_record(
    ses, table, send_notification, lambda_context, ses_throttles_sam, log_output
):
    event = load_event("send-notification.json")
    failed_record = event["Records"][1]

    response = send_notification.handler(event, lambda_context)

    assert _failed_ids(response) == {failed_record["messageId"]}
    assert list(_emails_by_recipient()) == ["jane.doe@example.com"]
    assert notification(table, FAILED_EVENT_ID) is None
    assert notification(table, CONFIRMED_EVENT_ID) is not None
    logs = log_output.getvalue()
    assert '"errorCode":"Throttling"' in logs
    assert "sam.lee@example.org" not in logs


def test_retry_after_ses_failure_sends_only_the_missing_email(
    ses, table, send_notification, lambda_context, ses_throttles_sam
):
    event = load_event("send-notification.json")
    send_notification.handler(event, lambda_context)
    ses_throttles_sam()  # SES recovers; SQS redelivers the failed message (here: the batch)

    response = send_notification.handler(event, lambda_context)

    assert response == {"batchItemFailures": []}
    recipients = [m.destinations["ToAddresses"][0] for m in sent_messages()]
    assert sorted(recipients) == ["jane.doe@example.com", "sam.lee@example.org"]
    assert len(_notification_items(table)) == 2


class _ClockRunningOut:
    """A context whose invocation has the given milliseconds left at each successive read."""

    def __init__(self, lambda_context, *remaining_ms: int):
        self._context = lambda_context
        self._remaining = list(remaining_ms)

    def __getattr__(self, name):
        return getattr(self._context, name)

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining.pop(0) if len(self._remaining) > 1 else self._remaining[0]


def test_a_batch_with_too_little_time_left_is_handed_back_untouched(
    ses, table, send_notification, lambda_context, capsys
):
    event = load_event("send-notification.json")
    late = _ClockRunningOut(lambda_context, send_notification.RECORD_TIME_BUDGET_MS - 1)

    with pytest.raises(BatchProcessingError):  # every record failed: SQS retries the batch
        send_notification.handler(event, late)

    assert sent_messages() == []
    assert _all_items(table) == []  # no idempotency record in progress, nothing recorded
    assert emitted_metrics(capsys.readouterr().out).get("NotificationsDeferred") == 2


def test_a_batch_running_out_of_time_emails_each_event_once_across_deliveries(
    ses, table, send_notification, lambda_context
):
    """The first record is sent with time to spare; by the second, too little is left, so it is
    handed back instead of being cut off mid-send. SQS redelivers the whole batch: the first is
    a duplicate (no second email), the second is sent."""
    event = load_event("send-notification.json")
    running_out = _ClockRunningOut(lambda_context, 25_000, 4_000)

    response = send_notification.handler(event, running_out)

    second_message_id = event["Records"][1]["messageId"]
    assert _failed_ids(response) == {second_message_id}
    assert len(sent_messages()) == 1

    assert send_notification.handler(event, lambda_context) == {"batchItemFailures": []}

    assert sorted(m.destinations["ToAddresses"][0] for m in sent_messages()) == [
        "jane.doe@example.com",
        "sam.lee@example.org",
    ]
    assert len(_notification_items(table)) == 2
