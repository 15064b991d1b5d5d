"""The only module that touches the inventory table.

Items: `PRODUCT#<sku>` (entity="PRODUCT", listed through GSI `byEntity`) and
`RESERVATION#<orderId>`. Every state change is a conditional write or one transaction, so
concurrent or repeated tasks cannot oversell or apply a change twice.
"""

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from inventory_service.domain import (
    CATALOG_CURRENCY,
    Product,
    ReleaseOutcome,
    Reservation,
    ReservationStatus,
    release_result_for_existing,
)
from inventory_service.errors import (
    OutOfStock,
    ReservationNotFound,
    ReservationReleased,
    TransactionConflictException,
    UnknownSku,
)

PRODUCT_ENTITY = "PRODUCT"
BY_ENTITY_INDEX = "byEntity"
_BATCH_GET_MAX_KEYS = 100
_BATCH_GET_MAX_ROUNDS = 5
# A release re-reads and retries when the reservation moved under it. The reservation has at
# most 4 states (none, RESERVED, COMMITTED, RELEASED) and only moves forward, so 4 reads suffice.
_RELEASE_MAX_ATTEMPTS = 4
_CONDITION_FAILED = "ConditionalCheckFailed"
_deserializer = TypeDeserializer()


def table_from_environment():
    """The table this service owns; the template sets INVENTORY_TABLE_NAME."""
    return boto3.resource("dynamodb").Table(os.environ["INVENTORY_TABLE_NAME"])


def product_key(sku: str) -> dict[str, str]:
    return {"pk": f"PRODUCT#{sku}"}


def reservation_key(order_id: str) -> dict[str, str]:
    return {"pk": f"RESERVATION#{order_id}"}


@dataclass(frozen=True)
class ReserveOutcome:
    reservation: Reservation
    created: bool


@dataclass(frozen=True)
class ReleaseResult:
    outcome: ReleaseOutcome
    changed: bool


class InventoryRepository:
    def __init__(self, table: Any) -> None:
        self._table = table
        # The resource's client accepts and returns plain Python values (boto3 transforms them).
        self._client = table.meta.client

    # ---- catalog -------------------------------------------------------------------------

    def put_product(
        self,
        sku: str,
        name: str,
        price_cents: int,
        stock: int,
        currency: str = CATALOG_CURRENCY,
    ) -> Product:
        """Creates or replaces a product (seeding for local runs and tests)."""
        self._table.put_item(
            Item={
                **product_key(sku),
                "entity": PRODUCT_ENTITY,
                "sku": sku,
                "name": name,
                "priceCents": int(price_cents),
                "currency": currency,
                "stock": int(stock),
            }
        )
        return Product(sku=sku, name=name, price_cents=price_cents, stock=stock, currency=currency)

    def get_product(self, sku: str) -> Product | None:
        item = self._table.get_item(Key=product_key(sku)).get("Item")
        return _product(item) if item and item.get("entity") == PRODUCT_ENTITY else None

    def list_products(self, limit: int, after_sku: str | None = None) -> tuple[list[Product], bool]:
        """Products ordered by sku, starting after `after_sku`; also says whether more exist.

        Reads one item beyond `limit` so the last page never hands out a token to an empty page.
        """
        condition = Key("entity").eq(PRODUCT_ENTITY)
        if after_sku is not None:
            condition &= Key("sku").gt(after_sku)
        wanted = limit + 1
        items: list[dict] = []
        query: dict[str, Any] = {"IndexName": BY_ENTITY_INDEX, "KeyConditionExpression": condition}
        while len(items) < wanted:
            page = self._table.query(**query, Limit=wanted - len(items))
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [_product(item) for item in items[:limit]], len(items) > limit

    def batch_get_products(self, skus: Iterable[str]) -> dict[str, Product]:
        """Products by sku (missing skus are simply absent from the result)."""
        keys = [product_key(sku) for sku in dict.fromkeys(skus)]
        found: dict[str, Product] = {}
        for start in range(0, len(keys), _BATCH_GET_MAX_KEYS):
            pending = {self._table.name: {"Keys": keys[start : start + _BATCH_GET_MAX_KEYS]}}
            for _ in range(_BATCH_GET_MAX_ROUNDS):
                response = self._client.batch_get_item(RequestItems=pending)
                for item in response.get("Responses", {}).get(self._table.name, []):
                    if item.get("entity") == PRODUCT_ENTITY:
                        product = _product(item)
                        found[product.sku] = product
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unprocessed; the caller should retry")
        return found

    # ---- reservations --------------------------------------------------------------------

    def get_reservation(self, order_id: str) -> Reservation | None:
        item = self._table.get_item(Key=reservation_key(order_id), ConsistentRead=True).get("Item")
        return _reservation(item) if item else None

    def reserve(self, order_id: str, quantities: Mapping[str, int], now: str) -> ReserveOutcome:
        """Takes stock for every sku and records the reservation, all in one transaction.

        An existing reservation for the order (whatever its status, including a release
        tombstone) wins: it is returned and nothing is written.
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
        transact_items: list[dict] = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": reservation_item,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        for sku in skus:
            transact_items.append(
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": product_key(sku),
                        "UpdateExpression": "SET stock = stock - :qty",
                        "ConditionExpression": "attribute_exists(pk) AND stock >= :qty",
                        "ExpressionAttributeValues": {":qty": quantities[sku]},
                        # The old item tells a short sku (item present) from an unknown one.
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=transact_items)
        except ClientError as exc:
            reasons = _cancellation_reasons(exc)
            if not reasons:
                raise
            if reasons[0].get("Code") == _CONDITION_FAILED:
                existing = self.get_reservation(order_id)
                if existing is not None:
                    return ReserveOutcome(existing, created=False)
            failed = [
                (sku, reason)
                for sku, reason in zip(skus, reasons[1:], strict=False)
                if reason.get("Code") == _CONDITION_FAILED
            ]
            unknown = [sku for sku, reason in failed if not _is_product(reason.get("Item"))]
            if unknown:
                raise UnknownSku(unknown) from None
            if failed:
                raise OutOfStock([sku for sku, _ in failed]) from None
            _raise_if_conflict(reasons, exc)
            raise
        return ReserveOutcome(_reservation(reservation_item), created=True)

    def commit(self, order_id: str, now: str) -> bool:
        """RESERVED -> COMMITTED. Returns False when it was already committed (no change)."""
        try:
            self._table.update_item(
                Key=reservation_key(order_id),
                UpdateExpression="SET #status = :committed, committedAt = :now, updatedAt = :now",
                ConditionExpression="#status = :reserved",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":committed": ReservationStatus.COMMITTED.value,
                    ":reserved": ReservationStatus.RESERVED.value,
                    ":now": now,
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            if not old:
                raise ReservationNotFound(order_id) from None
            if _deserializer.deserialize(old["status"]) == ReservationStatus.COMMITTED:
                return False
            raise ReservationReleased(order_id) from None
        return True

    def release(self, order_id: str, now: str) -> ReleaseResult:
        """RESERVED/COMMITTED -> RELEASED with the stock given back, in one transaction.

        The read only tells which skus to give back; the write is guarded by the status that
        was read, so a concurrent change makes the transaction fail and the loop look again.
        """
        for _ in range(_RELEASE_MAX_ATTEMPTS):
            reservation = self.get_reservation(order_id)
            if reservation is None:
                if self._put_release_tombstone(order_id, now):
                    return ReleaseResult(ReleaseOutcome.NOTHING_TO_RELEASE, changed=True)
                continue  # a reserve landed in between: release that one
            unchanged = release_result_for_existing(reservation)
            if unchanged is not None:
                return ReleaseResult(unchanged, changed=False)
            if self._release_reservation(reservation, now):
                return ReleaseResult(ReleaseOutcome.RELEASED, changed=True)
        raise RuntimeError(f"reservation for order {order_id} kept changing during release")

    def _release_reservation(self, reservation: Reservation, now: str) -> bool:
        transact_items: list[dict] = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": reservation_key(reservation.order_id),
                    "UpdateExpression": "SET #status = :released, releasedAt = :now, "
                    "updatedAt = :now",
                    "ConditionExpression": "#status = :observed",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":released": ReservationStatus.RELEASED.value,
                        ":observed": reservation.status.value,
                        ":now": now,
                    },
                }
            }
        ]
        for sku, quantity in reservation.quantities.items():
            # No condition: a compensation must not fail, and products are never deleted.
            transact_items.append(
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": product_key(sku),
                        "UpdateExpression": "ADD stock :qty",
                        "ExpressionAttributeValues": {":qty": quantity},
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=transact_items)
        except ClientError as exc:
            reasons = _cancellation_reasons(exc)
            if reasons and reasons[0].get("Code") == _CONDITION_FAILED:
                return False
            _raise_if_conflict(reasons, exc)
            raise
        return True

    def _put_release_tombstone(self, order_id: str, now: str) -> bool:
        try:
            self._table.put_item(
                Item={
                    **reservation_key(order_id),
                    "orderId": order_id,
                    "items": [],
                    "status": ReservationStatus.RELEASED.value,
                    "tombstone": True,
                    "createdAt": now,
                    "releasedAt": now,
                    "updatedAt": now,
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _cancellation_reasons(exc: ClientError) -> list[dict]:
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return exc.response.get("CancellationReasons") or []


def _raise_if_conflict(reasons: list[dict], exc: ClientError) -> None:
    """Surfaces a concurrent-transaction cancellation under the name the workflow retries."""
    if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
        raise TransactionConflictException(str(exc)) from exc


def _is_product(low_level_item: dict | None) -> bool:
    """CancellationReasons carry DynamoDB-JSON items (not transformed by boto3)."""
    return bool(low_level_item) and low_level_item.get("entity", {}).get("S") == PRODUCT_ENTITY


def _product(item: Mapping[str, Any]) -> Product:
    return Product(
        sku=item["sku"],
        name=item["name"],
        price_cents=int(item["priceCents"]),
        stock=int(item["stock"]),
        currency=item.get("currency", CATALOG_CURRENCY),
    )


def _reservation(item: Mapping[str, Any]) -> Reservation:
    return Reservation(
        order_id=item["orderId"],
        quantities={line["sku"]: int(line["quantity"]) for line in item.get("items", [])},
        status=ReservationStatus(item["status"]),
        tombstone=bool(item.get("tombstone", False)),
    )
