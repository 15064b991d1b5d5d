"""Publishes an order's outcome event when the reconciler, not the state machine, decided it.

Same bus, source and contract as the state machine's OrderFailed (orders_service/events.py),
so the notifications service emails the customer exactly as for any failed order.
"""

from typing import TYPE_CHECKING, Any

from orders_service.errors import OutcomeNotPublished
from orders_service.events import OrderFailed, OrderLine

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class OutcomeEvents:
    def __init__(self, events_client: "EventBridgeClient", bus_name: str, source: str):
        self._events = events_client
        self._bus_name = bus_name
        self._source = source

    def order_failed(self, order: dict[str, Any], reason: str) -> None:
        # Validated here, so a stored order that no longer fits the contract fails loudly in
        # the reconciler instead of in every consumer.
        detail = OrderFailed(
            orderId=order["orderId"],
            customerId=order["customerId"],
            amountCents=int(order["amountCents"]),
            currency=order["currency"],
            items=[
                OrderLine(
                    sku=i["sku"],
                    quantity=int(i["quantity"]),
                    unitPriceCents=int(i["unitPriceCents"]),
                )
                for i in order["items"]
            ],
            reason=reason,
        )
        response = self._events.put_events(
            Entries=[
                {
                    "EventBusName": self._bus_name,
                    "Source": self._source,
                    "DetailType": OrderFailed.DETAIL_TYPE,
                    "Detail": detail.model_dump_json(),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            [entry] = response["Entries"]
            raise OutcomeNotPublished(f"OrderFailed not published: {entry.get('ErrorCode')}")
