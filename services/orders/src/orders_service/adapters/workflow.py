"""Starts the checkout state machine for an order."""

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orders_service.errors import CheckoutNotStarted

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
