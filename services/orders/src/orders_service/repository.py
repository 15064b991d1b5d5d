"""The orders table, and only it. Every state change is a conditional write.

Through the low-level DynamoDB client, which the Powertools idempotency layer needs too: one
client per function instead of a client plus a `boto3.resource`, a cheaper cold start.
"""

import base64
import json
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from orders_service.domain import PENDING
from orders_service.errors import InvalidStatusTransition, OrderNotFound

CUSTOMER_INDEX = "byCustomer"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _key(order_id: str) -> dict:
    return {"pk": {"S": f"ORDER#{order_id}"}}


def _attributes(values: dict) -> dict:
    return {name: _serializer.serialize(value) for name, value in values.items()}


def _plain(item: dict) -> dict:
    """The stored order as the service speaks it, without its key."""
    return {name: _ints(_deserializer.deserialize(v)) for name, v in item.items() if name != "pk"}


def _ints(value):
    """DynamoDB numbers come back as Decimal; every number here is cents or a quantity."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, list):
        return [_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    return value


def _error_code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


class OrdersRepository:
    def __init__(self, client, table_name: str):
        self._client = client
        self._table_name = table_name

    def create(self, order: dict) -> tuple[dict, bool]:
        """Store a new order; if that id exists already, return the stored one instead.

        Returns (order, created).
        """
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={**_key(order["orderId"]), **_attributes(order)},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return order, True
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                raise
        return self.get(order["orderId"]), False

    def get(self, order_id: str) -> dict:
        item = self._client.get_item(
            TableName=self._table_name, Key=_key(order_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise OrderNotFound(f"order {order_id} not found")
        return _plain(item)

    def list_for_customer(
        self, customer_id: str, limit: int, next_token: str | None = None
    ) -> tuple[list[dict], str | None]:
        """Newest first. The page token is opaque to clients (base64 of the last key).

        Raises ValueError for a token this API did not issue for this customer.
        """
        query = {
            "TableName": self._table_name,
            "IndexName": CUSTOMER_INDEX,
            "KeyConditionExpression": "customerId = :customer",
            "ExpressionAttributeValues": {":customer": {"S": customer_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if next_token:
            start = json.loads(base64.urlsafe_b64decode(next_token))
            if not isinstance(start, dict) or start.get("customerId") != {"S": customer_id}:
                raise ValueError("not a page token of this customer's orders")
            query["ExclusiveStartKey"] = start
        page = self._client.query(**query)
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
            item = self._client.update_item(
                TableName=self._table_name,
                Key=_key(order_id),
                UpdateExpression=update,
                ConditionExpression=(
                    "attribute_exists(pk) AND (#status = :pending OR #status = :new)"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_attributes(values),
                ReturnValues="ALL_NEW",
            )["Attributes"]
            return _plain(item)
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                raise
        current = self.get(order_id)  # raises OrderNotFound when there is no order
        raise InvalidStatusTransition(
            f"order {order_id} is {current['status']}; it cannot become {status}"
        )
