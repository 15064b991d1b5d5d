"""Prices a cart through the inventory service's published QuotePrices contract (Lambda Invoke).

Orders never reads the inventory table: the catalog is inventory's, and this call is the
contract between the two teams (docs/checkout-state-machine.md#task-contracts).
"""

import json
from typing import TYPE_CHECKING, Any

from orders_service.errors import CatalogUnavailable, UnknownSku

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class InventoryPricing:
    def __init__(self, lambda_client: "LambdaClient", function_arn: str):
        self._lambda = lambda_client
        self._function_arn = function_arn

    def quote(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """{currency, amountCents, items[{sku, quantity, unitPriceCents, name}]} for the cart."""
        response = self._lambda.invoke(
            FunctionName=self._function_arn,
            Payload=json.dumps({"items": items}).encode(),
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            error_type = (payload or {}).get("errorType")
            if error_type == "UnknownSku":
                raise UnknownSku(payload.get("errorMessage", "unknown sku"))
            raise CatalogUnavailable(f"QuotePrices failed with {error_type}")
        return payload
