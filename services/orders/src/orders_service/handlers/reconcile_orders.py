"""ReconcileOrdersFunction: drives orders whose checkout cannot finish by itself to a terminal
state (see `reconciling`).

Two triggers: a schedule (every few minutes, a sweep of the orders due), and the reconcile
queue, where EventBridge delivers Step Functions' status-change events for checkout executions
that ended FAILED, TIMED_OUT or ABORTED (each names its order). A queue record that cannot be
reconciled now is reported failed: SQS delivers it again, then parks it in the DLQ; the order
stays due for the sweep either way.
"""

import gc
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_service import reconciling
from orders_service.adapters.compensations import CheckoutCompensations
from orders_service.adapters.outcomes import OutcomeEvents
from orders_service.adapters.workflow import CheckoutWorkflow
from orders_service.config import ReconcileOrdersSettings
from orders_service.models import ExecutionStatusChange
from orders_service.observability import logger, metrics, tracer
from orders_service.repository import OrdersRepository

# A sweep stays well inside the function's timeout; what it leaves waits for the next one.
SWEEP_LIMIT = 100

settings = ReconcileOrdersSettings.from_environment()
lambda_client = boto3.client("lambda")
collaborators: dict[str, Any] = {
    "orders": OrdersRepository(boto3.client("dynamodb"), settings.orders_table_name),
    "workflow": CheckoutWorkflow(
        boto3.client("stepfunctions"), settings.checkout_state_machine_arn
    ),
    "compensations": CheckoutCompensations(
        lambda_client, settings.refund_payment_function_arn, settings.release_stock_function_arn
    ),
    "outcomes": OutcomeEvents(
        boto3.client("events"), settings.event_bus_name, settings.event_source
    ),
}
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def reconcile_record(record: SQSRecord) -> str:
    change = ExecutionStatusChange.model_validate_json(record.body)
    if change.detail.stateMachineArn != settings.checkout_state_machine_arn:
        return reconciling.NOT_FOUND  # another machine's execution: not an order of ours
    return reconciling.reconcile_order(change.detail.name, **collaborators)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse | dict[str, Any]:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=reconcile_record, processor=processor, context=context
        )
    report = reconciling.sweep(**collaborators, limit=SWEEP_LIMIT)
    return {"reconciled": report.outcomes, "errors": report.errors}


# Init is over: what it built lives as long as this environment, so no collection rescans it.
gc.freeze()
gc.enable()
