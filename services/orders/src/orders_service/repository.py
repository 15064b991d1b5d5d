"""The orders table, and only it. Every state change is a conditional write.

Items: `ORDER#<orderId>`, listed per customer through GSI `byCustomer` (customerId, createdAt).
An order the reconciler must look at carries `reconcileShard` and `reconcileAt` (when it is
due), which put it in the sparse GSI `byReconcileAt`; recording the checkout's outcome removes
them. The Powertools idempotency layer keeps its records in the same table, through the same
client.
"""

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orders_service.domain import (
    CONFIRMED,
    FAILED,
    PENDING,
    RECONCILE_SHARDS,
    reconcile_shard,
)
from orders_service.dynamodb import (
    InvalidPageToken,
    decode_page_token,
    encode_page_token,
    from_item,
    is_condition_failure,
    item_on_failure,
    to_item,
)
from orders_service.errors import InvalidStatusTransition, OrderNotFound

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CUSTOMER_INDEX = "byCustomer"
RECONCILE_INDEX = "byReconcileAt"
# What a page token carries: the table key and the index key of the last order served.
_PAGE_KEY = ("pk", "customerId", "createdAt")


def _key(order_id: str) -> dict[str, str]:
    return {"pk": f"ORDER#{order_id}"}


def _order(item: dict[str, Any]) -> dict[str, Any]:
    """The stored order as the service speaks it, without its key."""
    return {name: value for name, value in from_item(item).items() if name != "pk"}


class OrdersRepository:
    def __init__(self, client: "DynamoDBClient", table_name: str):
        self._client = client
        self._table_name = table_name

    def create(self, order: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a new order; if that id exists already, return the stored one instead.

        Returns (order, created).
        """
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=to_item({**_key(order["orderId"]), **order}),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return order, True
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            stored = item_on_failure(error)
        assert stored is not None  # the condition only fails on an existing item
        return {k: v for k, v in stored.items() if k != "pk"}, False

    def get(self, order_id: str) -> dict[str, Any]:
        item = self._client.get_item(
            TableName=self._table_name, Key=to_item(_key(order_id)), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise OrderNotFound(f"order {order_id} not found")
        return _order(item)

    def list_for_customer(
        self, customer_id: str, limit: int, next_token: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first, `limit` at most, and the token of the next page (None on the last).

        Raises InvalidPageToken for a token this API did not issue for this customer.
        """
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": CUSTOMER_INDEX,
            "KeyConditionExpression": "customerId = :customer",
            "ExpressionAttributeValues": to_item({":customer": customer_id}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if next_token:
            start = decode_page_token(next_token, _PAGE_KEY)
            if start["customerId"] != customer_id:
                raise InvalidPageToken("nextToken belongs to another listing")
            query["ExclusiveStartKey"] = to_item(start)
        page = self._client.query(**query)
        last = page.get("LastEvaluatedKey")
        token = encode_page_token(from_item(last)) if last else None
        return [_order(item) for item in page["Items"]], token

    def update_status(
        self, order_id: str, status: str, reason: str | None, now: str
    ) -> dict[str, Any]:
        """PENDING -> status, once. Repeating the same update is a no-op (task retries).

        FAILED also replaces CONFIRMED: the checkout fails an order only after its compensations
        gave the money and the stock back, and it runs them after a ConfirmOrder whose write
        landed but whose task still failed (a crash or timeout after the write, then its retries
        used up). The order must not stay CONFIRMED for a sale that was undone. Nothing turns a
        FAILED order CONFIRMED.

        The order leaves the reconciler's index: its checkout recorded its own outcome.
        """
        names = {"#status": "status", "#updatedAt": "updatedAt"}
        values = {":new": status, ":pending": PENDING, ":now": now}
        update = "SET #status = :new, #updatedAt = :now"
        if reason:
            names["#reason"] = "reason"
            values[":reason"] = reason
            update += ", #reason = :reason"
        update += " REMOVE reconcileShard, reconcileAt"
        undone = (CONFIRMED,) if status == FAILED else ()
        return self._transition(order_id, status, update, names, values, also_from=undone)

    def flag_for_reconciliation(
        self, order_id: str, reason: str | None, now: str
    ) -> dict[str, Any]:
        """PENDING | FAILED | CONFIRMED -> FAILED, due for the reconciler now: a compensation
        did not complete, and the reconciler runs them again until they do. A CONFIRMED order
        is flagged for the reason `update_status` fails one: the checkout was undoing its sale."""
        names = {"#status": "status", "#updatedAt": "updatedAt"}
        values = {
            ":new": FAILED,
            ":pending": PENDING,
            ":now": now,
            ":shard": reconcile_shard(order_id),
        }
        update = (
            "SET #status = :new, #updatedAt = :now, reconcileShard = :shard, reconcileAt = :now"
        )
        if reason:
            names["#reason"] = "reason"
            values[":reason"] = reason
            update += ", #reason = if_not_exists(#reason, :reason)"
        return self._transition(order_id, FAILED, update, names, values, also_from=(CONFIRMED,))

    def settle_reconciled(self, order_id: str, reason: str | None, now: str) -> dict[str, Any]:
        """The reconciler is done with the order: a PENDING one becomes FAILED with `reason`,
        a FAILED or CONFIRMED one keeps its status; it leaves the reconciler's index."""
        try:
            item = self._client.update_item(
                TableName=self._table_name,
                Key=to_item(_key(order_id)),
                UpdateExpression="SET #updatedAt = :now REMOVE reconcileShard, reconcileAt",
                ConditionExpression="attribute_exists(pk) AND #status <> :pending",
                ExpressionAttributeNames={"#status": "status", "#updatedAt": "updatedAt"},
                ExpressionAttributeValues=to_item({":pending": PENDING, ":now": now}),
                ReturnValues="ALL_NEW",
            )["Attributes"]
            return _order(item)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        # Still PENDING: fail it with the reason, unless its checkout got there first.
        names = {"#status": "status", "#updatedAt": "updatedAt", "#reason": "reason"}
        values = {":new": FAILED, ":pending": PENDING, ":now": now, ":reason": reason or FAILED}
        update = (
            "SET #status = :new, #updatedAt = :now, #reason = :reason "
            "REMOVE reconcileShard, reconcileAt"
        )
        return self._transition(order_id, FAILED, update, names, values)

    def due_for_reconciliation(self, now: str, limit: int) -> list[str]:
        """Ids of orders due for the reconciler at `now`, oldest due first per shard."""
        due: list[str] = []
        for shard in range(RECONCILE_SHARDS):
            query: dict[str, Any] = {
                "TableName": self._table_name,
                "IndexName": RECONCILE_INDEX,
                "KeyConditionExpression": "reconcileShard = :shard AND reconcileAt <= :now",
                "ExpressionAttributeValues": to_item({":shard": str(shard), ":now": now}),
            }
            while len(due) < limit:
                page = self._client.query(**query, Limit=limit - len(due))
                due += [from_item(item)["pk"].removeprefix("ORDER#") for item in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return due

    def _transition(
        self,
        order_id: str,
        status: str,
        update: str,
        names: dict[str, str],
        values: dict[str, Any],
        also_from: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A status change allowed from PENDING, from `status` itself (a repeated task), and
        from the statuses `also_from` names."""
        sources = {f":from{index}": source for index, source in enumerate(also_from)}
        allowed = " OR ".join(
            ["#status = :pending", "#status = :new"] + [f"#status = {name}" for name in sources]
        )
        try:
            item = self._client.update_item(
                TableName=self._table_name,
                Key=to_item(_key(order_id)),
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(pk) AND ({allowed})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item({**values, **sources}),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
            return _order(item)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            current = item_on_failure(error)
        if current is None:
            raise OrderNotFound(f"order {order_id} not found")
        raise InvalidStatusTransition(
            f"order {order_id} is {current['status']}; it cannot become {status}"
        )

    def find(self, order_id: str) -> dict[str, Any] | None:
        """The order with its internal attributes (the reconciler's view), or None."""
        item = self._client.get_item(
            TableName=self._table_name, Key=to_item(_key(order_id)), ConsistentRead=True
        ).get("Item")
        return _order(item) if item else None
