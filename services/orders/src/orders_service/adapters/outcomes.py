"""Publishes an order's outcome event when the reconciler, not the state machine, decided it.

Same bus, source and detail as the state machine's OrderFailed (docs/service-conventions.md),
so the notifications service emails the customer exactly as for any failed order.
"""

import json
from typing import TYPE_CHECKING, Any

from orders_service.errors import OutcomeNotPublished

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class OutcomeEvents:
    def __init__(self, events_client: "EventBridgeClient", bus_name: str, source: str):
        self._events = events_client
        self._bus_name = bus_name
        self._source = source

    def order_failed(self, order: dict[str, Any], reason: str) -> None:
        detail = {
            "orderId": order["orderId"],
            "customerId": order["customerId"],
            "amountCents": order["amountCents"],
            "currency": order["currency"],
            "items": [
                {"sku": i["sku"], "quantity": i["quantity"], "unitPriceCents": i["unitPriceCents"]}
                for i in order["items"]
            ],
            "reason": reason,
        }
        response = self._events.put_events(
            Entries=[
                {
                    "EventBusName": self._bus_name,
                    "Source": self._source,
                    "DetailType": "OrderFailed",
                    "Detail": json.dumps(detail),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            [entry] = response["Entries"]
            raise OutcomeNotPublished(f"OrderFailed not published: {entry.get('ErrorCode')}")
