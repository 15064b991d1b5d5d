"""Starts the checkout state machine for an order."""

import json

from botocore.exceptions import ClientError

from orders_service.errors import CheckoutNotStarted


class CheckoutWorkflow:
    def __init__(self, sfn_client, state_machine_arn: str):
        self._sfn = sfn_client
        self._arn = state_machine_arn

    def start(self, order_id: str, execution_input: dict) -> None:
        """The execution is named after the order: Step Functions refuses a second one."""
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn, name=order_id, input=json.dumps(execution_input)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return  # a retried request; the first start stands
            raise CheckoutNotStarted(error.response["Error"]["Code"]) from error
