"""SendNotificationFunction: SQS batch of order outcome events -> one customer email per event.

Downstream of the event bus: nothing here can fail or undo a checkout. A record that fails is
reported in batchItemFailures; SQS retries it and, after 5 receives, parks it in the DLQ.
"""

import gc
import json
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from notifications_service import notifying
from notifications_service.adapters.customers import CognitoCustomers
from notifications_service.adapters.mailer import SesMailer
from notifications_service.config import SendNotificationSettings
from notifications_service.errors import (
    CustomerDirectoryUnavailable,
    InvalidNotificationEvent,
    NotificationDeliveryFailed,
    NotStartedForLackOfTime,
)
from notifications_service.models import (
    OrderConfirmedEvent,
    OrderFailedEvent,
    parse_order_outcome,
)
from notifications_service.observability import logger, metrics, tracer
from notifications_service.repository import NotificationRepository

settings = SendNotificationSettings.from_environment()
# Idempotency records outlive every copy of an event that can still reach us: EventBridge
# retries for up to 24 h, and the DLQ keeps a message 14 days before anyone redrives it.
IDEMPOTENCY_EXPIRY_SECONDS = 14 * 24 * 60 * 60
# A record is started only with this much of the invocation left: a timeout that cuts a record
# off after SES accepted its email, before its idempotency record completes, would have the
# redelivery email the customer again. One record (a user pool read, an SES send, two writes)
# takes milliseconds on AWS and up to a few seconds on a loaded laptop; the Timeout is 30 s.
RECORD_TIME_BUDGET_MS = 10_000

processor = BatchProcessor(event_type=EventType.SQS)
dynamodb = boto3.client("dynamodb")
repository = NotificationRepository(dynamodb, settings.notifications_table_name)
ses_client = boto3.client("ses")
mailer = SesMailer(ses_client, sender=settings.sender_email)
customers = CognitoCustomers(boto3.client("cognito-idp"), settings.user_pool_id)


# Parameters named as in Powertools' IdempotentHookFunction protocol, which mypy holds it to.
def _log_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    logger.info("Duplicate event: email already sent, not sending again")
    return response


# The repository's client: the persistence layer builds a whole new boto3 session otherwise.
persistence_layer = DynamoDBPersistenceLayer(
    table_name=settings.notifications_table_name,
    key_attr="pk",
    expiry_attr="expiration",
    boto3_client=dynamodb,
)
idempotency_config = IdempotencyConfig(
    event_key_jmespath="id",  # the EventBridge event id: the same for every redelivered copy
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
    response_hook=_log_duplicate,
)


# A stable key prefix (not the default, which embeds the Lambda function name) so a renamed or
# replaced function still recognises events it already emailed about.
@idempotent_function(
    data_keyword_argument="event",
    persistence_store=persistence_layer,
    config=idempotency_config,
    key_prefix="IDEMPOTENCY#SendNotification",
)
def send_notification(event: OrderConfirmedEvent | OrderFailedEvent) -> dict[str, str]:
    """Runs once per EventBridge event id; a redelivered copy gets the first result back."""
    return notifying.notify(event, customers=customers, mailer=mailer, notifications=repository)


def _order_id_for_logs(body: str) -> str | None:
    """Best-effort order id of a rejected message, so support can find it; nothing else leaks."""
    try:
        order_id = json.loads(body)["detail"]["orderId"]
    except (ValueError, TypeError, KeyError, RecursionError):  # a body may nest arrays deep
        return None
    return order_id[:100] if isinstance(order_id, str) else None


def parse_record(record: SQSRecord) -> OrderConfirmedEvent | OrderFailedEvent:
    try:
        return parse_order_outcome(record.body)
    except ValidationError as error:
        # Reported as failed, not swallowed: after 5 receives SQS moves it to the DLQ, where a
        # person can see it. Dropping it would silently lose a customer's email if the producer
        # (not the message) is wrong. The metric counts receives, so up to 5 per message.
        metrics.add_metric(name="NotificationsRejected", unit=MetricUnit.Count, value=1)
        logger.warning(
            "Rejected a message that is not a valid order outcome event",
            extra={
                "messageId": record.message_id,
                "orderId": _order_id_for_logs(record.body),
                # Locations and types only: pydantic's messages/inputs may hold the address.
                "errors": [
                    {"loc": list(e["loc"]), "type": e["type"]}
                    for e in error.errors(include_url=False, include_input=False)
                ],
            },
        )
        raise InvalidNotificationEvent(record.message_id) from None


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, str]:
    remaining_ms = lambda_context.get_remaining_time_in_millis()
    if remaining_ms < RECORD_TIME_BUDGET_MS:
        # Reported as failed, so SQS delivers it again after the visibility timeout.
        metrics.add_metric(name="NotificationsDeferred", unit=MetricUnit.Count, value=1)
        raise NotStartedForLackOfTime(remaining_ms)
    event = parse_record(record)
    logger.set_correlation_id(event.detail.orderId)
    try:
        return send_notification(event=event)
    except NotificationDeliveryFailed as error:
        logger.error(
            "SES did not accept the email; SQS will retry it",
            extra={"eventId": event.id, "errorCode": error.error_code},
        )
        raise
    except CustomerDirectoryUnavailable as error:
        logger.error(
            "The customer's address could not be read; SQS will retry it",
            extra={"eventId": event.id, "errorCode": error.error_code},
        )
        raise
    finally:
        logger.set_correlation_id(None)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    # In-progress idempotency records expire with this invocation, so a record interrupted by a
    # timeout can be retried by the next receive instead of waiting for the full expiry.
    idempotency_config.register_lambda_context(context)
    # If every record fails, process_partial_response raises (Lambda reports an error, SQS
    # retries the batch): an SES outage shows in the function's Errors metric and alarms.
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
