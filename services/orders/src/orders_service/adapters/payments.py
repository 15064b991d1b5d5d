"""Hands an order's payment token to the payments service through its published RegisterPayment
contract (Lambda Invoke), and gets back the reference the checkout carries instead.

The token leaves the orders service here and nowhere else: it is not stored, logged or passed
to the state machine (docs/checkout-state-machine.md#task-contracts).
"""

import json
from typing import TYPE_CHECKING

from orders_service.errors import PaymentsUnavailable

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class PaymentRegistration:
    def __init__(self, lambda_client: "LambdaClient", function_arn: str):
        self._lambda = lambda_client
        self._function_arn = function_arn

    def register(self, order_id: str, payment_token: str) -> str:
        """The payments service's reference for the order's payment; the same order always gets
        the same one."""
        response = self._lambda.invoke(
            FunctionName=self._function_arn,
            Payload=json.dumps({"orderId": order_id, "paymentToken": payment_token}).encode(),
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            error_type = (payload or {}).get("errorType")
            raise PaymentsUnavailable(f"RegisterPayment failed with {error_type}")
        return payload["paymentReference"]
