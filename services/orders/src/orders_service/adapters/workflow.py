"""The checkout state machine, as the orders service uses it: one execution per order, named
after the order (start it, ask how it is doing, stop one that overran)."""

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orders_service.errors import CheckoutHistoryUnavailable, CheckoutNotStarted

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class CheckoutWorkflow:
    def __init__(self, sfn_client: "SFNClient", state_machine_arn: str):
        self._sfn = sfn_client
        self._arn = state_machine_arn

    def start(self, order_id: str, execution_input: dict[str, Any]) -> None:
        """The execution is named after the order: Step Functions refuses a second one."""
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn, name=order_id, input=json.dumps(execution_input)
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ExecutionAlreadyExists":
                return  # a retried request; the first start stands
            raise CheckoutNotStarted(code) from error

    def status(self, order_id: str) -> str | None:
        """RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED, or None when the order's
        execution was never started."""
        try:
            execution = self._sfn.describe_execution(executionArn=self._execution_arn(order_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") == "ExecutionDoesNotExist":
                return None
            raise
        return execution["status"]

    def stop(self, order_id: str, cause: str) -> None:
        """Stops the order's execution; one that already ended is left as it is."""
        try:
            self._sfn.stop_execution(
                executionArn=self._execution_arn(order_id), error="CheckoutOverdue", cause=cause
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") != "ExecutionDoesNotExist":
                raise

    def history(self, order_id: str) -> list[dict[str, Any]] | None:
        """The execution's history, oldest first, or None when it was never started. Raises
        CheckoutHistoryUnavailable when Step Functions does not answer."""
        events: list[dict[str, Any]] = []
        try:
            pages = self._sfn.get_paginator("get_execution_history").paginate(
                executionArn=self._execution_arn(order_id), includeExecutionData=False
            )
            for page in pages:
                events.extend(dict(event) for event in page["events"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") == "ExecutionDoesNotExist":
                return None
            raise CheckoutHistoryUnavailable(str(error)) from error
        return events

    def _execution_arn(self, order_id: str) -> str:
        # arn:...:stateMachine:NAME -> arn:...:execution:NAME:EXECUTION (Standard workflows).
        return f"{self._arn.replace(':stateMachine:', ':execution:', 1)}:{order_id}"
