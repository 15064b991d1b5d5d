"""The only module that touches the inventory table.

Items: `PRODUCT#<sku>` (entity="PRODUCT", listed through GSI `byEntity`) and
`RESERVATION#<orderId>`. Every state change is a conditional write or one transaction, so
concurrent or repeated tasks cannot oversell or apply a change twice. This module reports what
DynamoDB found (which condition failed, the item as it was); stock.py decides what it means.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from inventory_service.domain import CATALOG_CURRENCY, Product, Reservation, ReservationStatus
from inventory_service.dynamodb import (
    CancellationReason,
    InvalidPageToken,
    cancellation_reasons,
    decode_page_token,
    encode_page_token,
    from_item,
    is_condition_failure,
    item_on_failure,
    to_item,
)
from inventory_service.errors import TransactionConflictException

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PRODUCT_ENTITY = "PRODUCT"
BY_ENTITY_INDEX = "byEntity"
# A catalog page token is the byEntity key of the last product served.
_PAGE_KEY = ("pk", "entity", "sku")
_BATCH_GET_MAX_KEYS = 100
_BATCH_GET_MAX_ROUNDS = 5
_CONDITION_FAILED = "ConditionalCheckFailed"


def product_key(sku: str) -> dict[str, str]:
    return {"pk": f"PRODUCT#{sku}"}


def reservation_key(order_id: str) -> dict[str, str]:
    return {"pk": f"RESERVATION#{order_id}"}


@dataclass(frozen=True)
class ReserveCancelled:
    """Why DynamoDB cancelled a reservation's transaction (nothing was written); at least one
    field is set."""

    # The order already had a reservation item (any status, a release tombstone too), as it was.
    existing: Reservation | None = None
    # Skus with no product item, and skus whose product had less stock than asked.
    missing_skus: tuple[str, ...] = ()
    short_skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommitRefused:
    """The commit's condition (status RESERVED) failed: the reservation as it was, or None."""

    existing: Reservation | None


class InventoryRepository:
    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    # ---- catalog -------------------------------------------------------------------------

    def get_product(self, sku: str) -> Product | None:
        item = self._client.get_item(TableName=self._table_name, Key=to_item(product_key(sku)))
        found = from_item(item.get("Item", {}))
        return _product(found) if found.get("entity") == PRODUCT_ENTITY else None

    def list_products(
        self, limit: int, page_token: str | None = None
    ) -> tuple[list[Product], str | None]:
        """Products ordered by sku, from where `page_token` left off, and the token of the next
        page (None on the last one). A token this listing did not issue raises InvalidPageToken.

        Reads one item beyond `limit` so the last page never hands out a token to an empty page.
        """
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": BY_ENTITY_INDEX,
            "KeyConditionExpression": "#entity = :entity",
            "ExpressionAttributeNames": {"#entity": "entity"},
            "ExpressionAttributeValues": to_item({":entity": PRODUCT_ENTITY}),
        }
        if page_token is not None:
            query["ExclusiveStartKey"] = to_item(_product_page_key(page_token))
        wanted = limit + 1
        items: list[dict[str, Any]] = []
        while len(items) < wanted:
            page = self._client.query(**query, Limit=wanted - len(items))
            items.extend(from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        served = items[:limit]
        more = len(items) > limit
        next_token = encode_page_token({k: served[-1][k] for k in _PAGE_KEY}) if more else None
        return [_product(item) for item in served], next_token

    def batch_get_products(self, skus: Iterable[str]) -> dict[str, Product]:
        """Products by sku (missing skus are simply absent from the result)."""
        keys = [to_item(product_key(sku)) for sku in dict.fromkeys(skus)]
        found: dict[str, Product] = {}
        for start in range(0, len(keys), _BATCH_GET_MAX_KEYS):
            pending: Mapping[str, Any] = {
                self._table_name: {"Keys": keys[start : start + _BATCH_GET_MAX_KEYS]}
            }
            for _ in range(_BATCH_GET_MAX_ROUNDS):
                response = self._client.batch_get_item(RequestItems=pending)
                for raw in response.get("Responses", {}).get(self._table_name, []):
                    item = from_item(raw)
                    if item.get("entity") == PRODUCT_ENTITY:
                        found[item["sku"]] = _product(item)
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unprocessed; the caller should retry")
        return found

    # ---- reservations --------------------------------------------------------------------

    def get_reservation(self, order_id: str) -> Reservation | None:
        response = self._client.get_item(
            TableName=self._table_name,
            Key=to_item(reservation_key(order_id)),
            ConsistentRead=True,
        )
        return _reservation(from_item(response["Item"])) if "Item" in response else None

    def reserve(
        self, order_id: str, quantities: Mapping[str, int], now: str
    ) -> Reservation | ReserveCancelled:
        """Takes stock for every sku and records the reservation, all in one transaction.

        Returns the reservation written, or what cancelled the transaction (nothing written).
        """
        skus = list(quantities)
        reservation_item = {
            **reservation_key(order_id),
            "orderId": order_id,
            "items": [{"sku": sku, "quantity": quantities[sku]} for sku in skus],
            "status": ReservationStatus.RESERVED.value,
            "createdAt": now,
            "updatedAt": now,
        }
        transact_items: list[Any] = [
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": to_item(reservation_item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    # The reservation that is already there, so it is never read back.
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
        for sku in skus:
            transact_items.append(
                {
                    "Update": {
                        "TableName": self._table_name,
                        "Key": to_item(product_key(sku)),
                        "UpdateExpression": "SET stock = stock - :qty",
                        "ConditionExpression": "attribute_exists(pk) AND stock >= :qty",
                        "ExpressionAttributeValues": to_item({":qty": quantities[sku]}),
                        # The old item tells a short sku (item present) from an unknown one.
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=transact_items)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            cancelled = _reserve_cancelled(skus, reasons)
            if cancelled is not None:
                return cancelled
            _raise_if_conflict(reasons, error)
            raise
        return _reservation(reservation_item)

    def commit(self, order_id: str, now: str) -> CommitRefused | None:
        """RESERVED -> COMMITTED; None when written, otherwise the reservation that refused."""
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key=to_item(reservation_key(order_id)),
                UpdateExpression="SET #status = :committed, committedAt = :now, updatedAt = :now",
                ConditionExpression="#status = :reserved",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":committed": ReservationStatus.COMMITTED.value,
                        ":reserved": ReservationStatus.RESERVED.value,
                        ":now": now,
                    }
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            existing = item_on_failure(error)
            return CommitRefused(_reservation(existing) if existing else None)
        return None

    def put_release_tombstone(self, order_id: str, now: str) -> bool:
        """Records a release for an order with no reservation, so a late reserve takes nothing.

        False when a reservation item appeared meanwhile (nothing written).
        """
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=to_item(
                    {
                        **reservation_key(order_id),
                        "orderId": order_id,
                        "items": [],
                        "status": ReservationStatus.RELEASED.value,
                        "tombstone": True,
                        "createdAt": now,
                        "releasedAt": now,
                        "updatedAt": now,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def release_reservation(self, reservation: Reservation, now: str) -> bool:
        """-> RELEASED with its stock given back, in one transaction guarded by the status that
        was read. False when the status moved meanwhile (nothing written)."""
        transact_items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table_name,
                    "Key": to_item(reservation_key(reservation.order_id)),
                    "UpdateExpression": "SET #status = :released, releasedAt = :now, "
                    "updatedAt = :now",
                    "ConditionExpression": "#status = :observed",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":released": ReservationStatus.RELEASED.value,
                            ":observed": reservation.status.value,
                            ":now": now,
                        }
                    ),
                }
            }
        ]
        for sku, quantity in reservation.quantities.items():
            # No condition: a compensation must not fail, and products are never deleted.
            transact_items.append(
                {
                    "Update": {
                        "TableName": self._table_name,
                        "Key": to_item(product_key(sku)),
                        "UpdateExpression": "ADD stock :qty",
                        "ExpressionAttributeValues": to_item({":qty": quantity}),
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=transact_items)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if reasons and reasons[0].code == _CONDITION_FAILED:
                return False
            _raise_if_conflict(reasons, error)
            raise
        return True


def _reserve_cancelled(
    skus: list[str], reasons: list[CancellationReason]
) -> ReserveCancelled | None:
    """What failed a reservation's conditions: reasons[0] is the reservation's put, then one
    reason per sku. None when no condition failed (the cancellation had another cause)."""
    if not reasons:
        return None
    put, updates = reasons[0], reasons[1:]
    existing = put.item if put.code == _CONDITION_FAILED else None
    failed = [
        (sku, reason.item)
        for sku, reason in zip(skus, updates, strict=False)
        if reason.code == _CONDITION_FAILED
    ]
    if existing is None and not failed:
        return None
    return ReserveCancelled(
        existing=_reservation(existing) if existing is not None else None,
        missing_skus=tuple(sku for sku, item in failed if not _is_product(item)),
        short_skus=tuple(sku for sku, item in failed if _is_product(item)),
    )


def _raise_if_conflict(reasons: list[CancellationReason], error: ClientError) -> None:
    """Surfaces a concurrent-transaction cancellation under the name the workflow retries."""
    if any(reason.code == "TransactionConflict" for reason in reasons):
        raise TransactionConflictException(str(error)) from error


def _product_page_key(token: str) -> dict[str, str]:
    """The byEntity key a catalog page token carries; a key of anything but a product is not
    one this listing issued."""
    key = decode_page_token(token, _PAGE_KEY)
    if key["entity"] != PRODUCT_ENTITY or key["pk"] != product_key(key["sku"])["pk"]:
        raise InvalidPageToken("nextToken is not a token of the product listing")
    return key


def _is_product(item: Mapping[str, Any] | None) -> bool:
    return item is not None and item.get("entity") == PRODUCT_ENTITY


def _product(item: Mapping[str, Any]) -> Product:
    return Product(
        sku=item["sku"],
        name=item["name"],
        price_cents=item["priceCents"],
        stock=item["stock"],
        currency=item.get("currency", CATALOG_CURRENCY),
    )


def _reservation(item: Mapping[str, Any]) -> Reservation:
    return Reservation(
        order_id=item["orderId"],
        quantities={line["sku"]: line["quantity"] for line in item.get("items", [])},
        status=ReservationStatus(item["status"]),
        tombstone=item.get("tombstone", False),
    )
