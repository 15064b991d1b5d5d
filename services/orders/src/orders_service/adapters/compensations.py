"""The checkout's compensations, run again by the reconciler through the same published task
contracts the state machine uses (docs/checkout-state-machine.md#task-contracts): RefundPayment
(which cancels an authorization or refunds a capture, as the payment record says) and
ReleaseStock, by Lambda Invoke. Both are idempotent per order and leave a tombstone, so
running them after (or instead of) the state machine's own attempt takes nothing twice and lets
no late step take stock or money afterwards."""

import json
from typing import TYPE_CHECKING, Any

from orders_service.errors import CompensationNotCompleted

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class CheckoutCompensations:
    def __init__(
        self, lambda_client: "LambdaClient", refund_payment_arn: str, release_stock_arn: str
    ):
        self._lambda = lambda_client
        self._refund_payment_arn = refund_payment_arn
        self._release_stock_arn = release_stock_arn

    def refund_payment(self, order_id: str) -> str:
        """REFUNDED | CANCELLED (an authorization cancelled) | NOTHING_TO_REFUND."""
        return self._run("RefundPayment", self._refund_payment_arn, order_id)

    def release_stock(self, order_id: str) -> str:
        """RELEASED | NOTHING_TO_RELEASE."""
        return self._run("ReleaseStock", self._release_stock_arn, order_id)

    def _run(self, step: str, function_arn: str, order_id: str) -> str:
        response = self._lambda.invoke(
            FunctionName=function_arn, Payload=json.dumps({"orderId": order_id}).encode()
        )
        payload: Any = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            error_type = (payload or {}).get("errorType", "Unknown")
            raise CompensationNotCompleted(f"{step} failed with {error_type}")
        return payload["status"]
