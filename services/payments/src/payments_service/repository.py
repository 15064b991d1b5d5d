"""The only module that touches payment records (`PAYMENT#<orderId>`) and the tokens registered
for orders (`PAYMENTREF#<orderId>`). Every state transition is one conditional write; when its
guard fails the write raises `TransitionRejected` carrying the record as it was, so callers
decide from what blocked them without a read-then-write."""

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from payments_service.dynamodb import from_item, is_condition_failure, item_on_failure, to_item
from payments_service.models import PaymentRecord, PaymentStatus, RegisteredPayment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class TransitionRejected(Exception):
    """A guarded write found the record in another state; `current` is that record (None if
    there was none)."""

    def __init__(self, current: PaymentRecord | None) -> None:
        super().__init__(f"payment is {current.status if current else 'missing'}")
        self.current = current

    @property
    def record(self) -> PaymentRecord:
        """`current`, where the caller wrote the record before: only a manual delete can have
        removed it since, and that is a fault, not a payment state."""
        if self.current is None:
            raise RuntimeError("payment record vanished during a transition") from self
        return self.current


def payment_key(order_id: str) -> dict[str, Any]:
    return to_item({"pk": f"PAYMENT#{order_id}"})


def registration_key(order_id: str) -> dict[str, Any]:
    return to_item({"pk": f"PAYMENTREF#{order_id}"})


class PaymentRepository:
    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def register(self, registration: RegisteredPayment) -> RegisteredPayment:
        """Stores the order's token under its reference, once: the first registration of an order
        stands, and a later one gets it back unchanged (its token is not stored)."""
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={
                    **registration_key(registration.orderId),
                    **to_item(
                        {
                            "orderId": registration.orderId,
                            "paymentReference": registration.paymentReference,
                            "paymentToken": registration.paymentToken.get_secret_value(),
                            "registeredAt": registration.registeredAt,
                        }
                    ),
                },
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            first = item_on_failure(error)
            if first is None:  # only a manual delete in between can do this
                raise RuntimeError("payment registration vanished during a write") from None
            return RegisteredPayment.model_validate(first)
        return registration

    def registered(self, order_id: str) -> RegisteredPayment | None:
        """The order's registration (its token included), read strongly consistent: it was
        written just before the checkout started."""
        item = self._client.get_item(
            TableName=self._table_name, Key=registration_key(order_id), ConsistentRead=True
        ).get("Item")
        return RegisteredPayment.model_validate(from_item(item)) if item else None

    def begin_charge(
        self, order_id: str, payment_id: str, amount_cents: int, currency: str, now: str
    ) -> PaymentRecord:
        """(none) -> PENDING, or another attempt on a PENDING charge of the same amount (the
        previous one failed transiently or crashed; the provider key makes asking again safe)."""
        return self._transition(
            order_id,
            "SET orderId = :orderId, paymentId = if_not_exists(paymentId, :paymentId), "
            "amountCents = :amount, currency = :currency, #status = :pending, "
            "createdAt = if_not_exists(createdAt, :now), updatedAt = :now ADD attempts :one",
            "attribute_not_exists(pk) OR "
            "(#status = :pending AND amountCents = :amount AND currency = :currency)",
            {
                ":orderId": order_id,
                ":paymentId": payment_id,
                ":amount": amount_cents,
                ":currency": currency,
                ":pending": PaymentStatus.PENDING.value,
                ":now": now,
                ":one": 1,
            },
        )

    def payment(self, order_id: str) -> PaymentRecord | None:
        """The order's payment record, read strongly consistent (the step before wrote it)."""
        item = self._client.get_item(
            TableName=self._table_name, Key=payment_key(order_id), ConsistentRead=True
        ).get("Item")
        return PaymentRecord.model_validate(from_item(item)) if item else None

    def mark_authorized(self, order_id: str, provider_payment_id: str, now: str) -> PaymentRecord:
        return self._settle_pending(
            order_id, PaymentStatus.AUTHORIZED, {"providerPaymentId": provider_payment_id}, now
        )

    def mark_declined(self, order_id: str, decline_code: str, now: str) -> PaymentRecord:
        return self._settle_pending(
            order_id, PaymentStatus.DECLINED, {"declineCode": decline_code}, now
        )

    def mark_captured(self, order_id: str, now: str) -> PaymentRecord:
        """AUTHORIZED -> CAPTURED, once."""
        return self._transition(
            order_id,
            "SET #status = :captured, updatedAt = :now",
            "#status = :authorized",
            {
                ":captured": PaymentStatus.CAPTURED.value,
                ":authorized": PaymentStatus.AUTHORIZED.value,
                ":now": now,
            },
        )

    def mark_refunded(self, order_id: str, refund_id: str, now: str) -> PaymentRecord:
        """CAPTURED -> REFUNDED, once; also AUTHORIZED -> REFUNDED, when the provider had
        captured a payment whose capture was never recorded (its task failed after it)."""
        return self._transition(
            order_id,
            "SET #status = :refunded, providerRefundId = :refundId, updatedAt = :now",
            "#status IN (:captured, :authorized)",
            {
                ":refunded": PaymentStatus.REFUNDED.value,
                ":captured": PaymentStatus.CAPTURED.value,
                ":authorized": PaymentStatus.AUTHORIZED.value,
                ":refundId": refund_id,
                ":now": now,
            },
        )

    def cancel(self, order_id: str, now: str) -> PaymentRecord:
        """(none) | PENDING -> CANCELLED: the tombstone the compensation leaves when nothing was
        authorized, so an authorization arriving later (or still in flight) cannot stand."""
        return self._transition(
            order_id,
            "SET orderId = :orderId, #status = :cancelled, "
            "createdAt = if_not_exists(createdAt, :now), updatedAt = :now",
            "attribute_not_exists(pk) OR #status = :pending",
            {
                ":orderId": order_id,
                ":cancelled": PaymentStatus.CANCELLED.value,
                ":pending": PaymentStatus.PENDING.value,
                ":now": now,
            },
        )

    def mark_authorization_cancelled(self, order_id: str, now: str) -> PaymentRecord:
        """AUTHORIZED -> CANCELLED, once the provider released the hold."""
        return self._transition(
            order_id,
            "SET #status = :cancelled, authorizationCancelledAt = :now, updatedAt = :now",
            "#status = :authorized",
            {
                ":cancelled": PaymentStatus.CANCELLED.value,
                ":authorized": PaymentStatus.AUTHORIZED.value,
                ":now": now,
            },
        )

    def attach_late_authorization(
        self, order_id: str, provider_payment_id: str, now: str
    ) -> PaymentRecord:
        """Records on a CANCELLED payment the authorization that succeeded at the provider after
        the cancel, so whoever releases it (charge retry or compensation) knows what to cancel."""
        return self._transition(
            order_id,
            "SET providerPaymentId = :paymentId, updatedAt = :now",
            "#status = :cancelled AND "
            "(attribute_not_exists(providerPaymentId) OR providerPaymentId = :paymentId)",
            {
                ":cancelled": PaymentStatus.CANCELLED.value,
                ":paymentId": provider_payment_id,
                ":now": now,
            },
        )

    def record_late_release(self, order_id: str, now: str) -> PaymentRecord:
        return self._transition(
            order_id,
            "SET authorizationCancelledAt = :now, updatedAt = :now",
            "#status = :cancelled AND attribute_exists(providerPaymentId) "
            "AND attribute_not_exists(authorizationCancelledAt)",
            {":cancelled": PaymentStatus.CANCELLED.value, ":now": now},
        )

    def _settle_pending(
        self, order_id: str, status: PaymentStatus, fields: dict[str, str], now: str
    ) -> PaymentRecord:
        """PENDING -> AUTHORIZED | DECLINED with the provider's answer."""
        assignments = "".join(f", {name} = :{name}" for name in fields)
        return self._transition(
            order_id,
            f"SET #status = :status, updatedAt = :now{assignments}",
            "#status = :pending",
            {
                ":status": status.value,
                ":pending": PaymentStatus.PENDING.value,
                ":now": now,
                **{f":{name}": value for name, value in fields.items()},
            },
        )

    def _transition(
        self, order_id: str, update: str, condition: str, values: dict[str, Any]
    ) -> PaymentRecord:
        try:
            item = self._client.update_item(
                TableName=self._table_name,
                Key=payment_key(order_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            old = item_on_failure(error)
            current = PaymentRecord.model_validate(old) if old else None
            raise TransitionRejected(current) from None
        return PaymentRecord.model_validate(from_item(item))
