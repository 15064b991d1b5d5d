"""The orders table, and only it. Every state change is a conditional write."""

import base64
import json
from decimal import Decimal

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from orders_service.domain import PENDING
from orders_service.errors import InvalidStatusTransition, OrderNotFound

CUSTOMER_INDEX = "byCustomer"


def _key(order_id: str) -> dict:
    return {"pk": f"ORDER#{order_id}"}


def _plain(value):
    """DynamoDB hands numbers back as Decimal; the service speaks ints (cents, quantities)."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "pk"}
    return value


def _is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


class OrdersRepository:
    def __init__(self, table):
        self._table = table

    def create(self, order: dict) -> tuple[dict, bool]:
        """Store a new order; if that id exists already, return the stored one instead.

        Returns (order, created).
        """
        try:
            self._table.put_item(
                Item={**_key(order["orderId"]), **order},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return order, True
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
        return self.get(order["orderId"]), False

    def get(self, order_id: str) -> dict:
        item = self._table.get_item(Key=_key(order_id), ConsistentRead=True).get("Item")
        if item is None:
            raise OrderNotFound(f"order {order_id} not found")
        return _plain(item)

    def list_for_customer(
        self, customer_id: str, limit: int, next_token: str | None = None
    ) -> tuple[list[dict], str | None]:
        """Newest first. The page token is opaque to clients (base64 of the last key)."""
        query = {
            "IndexName": CUSTOMER_INDEX,
            "KeyConditionExpression": Key("customerId").eq(customer_id),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if next_token:
            query["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(next_token))
        page = self._table.query(**query)
        last = page.get("LastEvaluatedKey")
        token = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
        return [_plain(item) for item in page["Items"]], token

    def update_status(self, order_id: str, status: str, reason: str | None, now: str) -> dict:
        """PENDING -> status, once. Repeating the same update is a no-op (task retries)."""
        names = {"#status": "status", "#updatedAt": "updatedAt"}
        values = {":new": status, ":pending": PENDING, ":now": now}
        update = "SET #status = :new, #updatedAt = :now"
        if reason:
            names["#reason"] = "reason"
            values[":reason"] = reason
            update += ", #reason = :reason"
        try:
            item = self._table.update_item(
                Key=_key(order_id),
                UpdateExpression=update,
                ConditionExpression=(
                    "attribute_exists(pk) AND (#status = :pending OR #status = :new)"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
            return _plain(item)
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
        current = self.get(order_id)  # raises OrderNotFound when there is no order
        raise InvalidStatusTransition(
            f"order {order_id} is {current['status']}; it cannot become {status}"
        )
