"""A sandbox payment provider with documented test tokens (see services/payments/README.md).

It behaves like a real provider with idempotency keys and manual capture. Its ledger lives in
the payments table: one item per card charge, `SIMPROVIDER#CHARGE#<chargeId>` (authorized, then
captured or cancelled), whose id is derived from the authorization's idempotency key, so a
replayed key lands on the same item and returns the same authorization (or the same decline)
instead of making a new one; and `SIMPROVIDER#<idempotencyKey>` per refund.
Attempts are counted only where an answer depends on them (the outage tokens, refunds), so a
plain charge is one conditional write. It never stores the token, only what the token made
happen.
"""

import re
import uuid
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from payments_service.adapters.provider import (
    AlreadyCaptured,
    AuthorizationCancelled,
    CardDeclined,
    InvalidProviderRequest,
    ProviderAuthorization,
    ProviderRefund,
    ProviderUnavailable,
)
from payments_service.domain import now
from payments_service.dynamodb import (
    cancellation_reasons,
    from_item,
    is_condition_failure,
    item_on_failure,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import UpdateTypeDef

# Stripe's test payment methods too, so a sample order pays the same with either provider.
SUCCEEDING_TOKENS = frozenset({"tok_visa", "tok_mastercard", "pm_card_visa", "pm_card_mastercard"})
DECLINING_TOKENS = {
    "tok_chargeDeclined": "generic_decline",
    "tok_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_chargeCustomerFail": "generic_decline",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "insufficient_funds",
}
REFUND_OUTAGE_TOKEN = "tok_refundOutage"
OUTAGE_TOKEN = re.compile(r"tok_outage_([1-9])")
UNKNOWN_TOKEN_DECLINE = "invalid_token"

SUCCEEDED = "SUCCEEDED"
DECLINED = "DECLINED"
LEDGER_PREFIX = "SIMPROVIDER#"
CHARGE_PREFIX = "SIMPROVIDER#CHARGE#"
_CHARGE_IDS = uuid.UUID("6f0f6a52-3b9e-4c55-9a43-5b8f3a1e2c10")  # namespace of key -> charge id


def charge_id_for(idempotency_key: str) -> str:
    """The id of the charge a key makes: the same key always reaches the same ledger item."""
    return f"ch_sim_{uuid.uuid5(_CHARGE_IDS, idempotency_key).hex}"


class SimulatedProvider:
    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def authorize(
        self, token: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> ProviderAuthorization:
        charge_id = charge_id_for(idempotency_key)
        pk = CHARGE_PREFIX + charge_id
        request = {
            "idempotencyKey": idempotency_key,
            "amountCents": amount_cents,
            "currency": currency,
        }
        outage = OUTAGE_TOKEN.fullmatch(token)
        if outage:
            entry = self._count_attempt(pk, "charge", request)
            if "state" in entry:
                return _replay_charge(entry)
            if entry["attempts"] <= int(outage.group(1)):
                raise ProviderUnavailable(f"simulated outage (attempt {entry['attempts']})")

        if outage or token in SUCCEEDING_TOKENS or token == REFUND_OUTAGE_TOKEN:
            refunds_fail = token == REFUND_OUTAGE_TOKEN
            outcome = {"state": SUCCEEDED, "chargeId": charge_id, "refundsFail": refunds_fail}
        else:
            decline_code = DECLINING_TOKENS.get(token, UNKNOWN_TOKEN_DECLINE)
            outcome = {"state": DECLINED, "declineCode": decline_code}
        if outage:  # its attempts are already recorded: settle that entry
            return _replay_charge(self._settle(pk, outcome))
        return _replay_charge(self._record_first(pk, "charge", request, outcome))

    def capture(self, payment_id: str, amount_cents: int, idempotency_key: str) -> None:
        """Takes the authorized amount (or less), once; a cancelled authorization cannot be."""
        charge = self._update_charge(
            payment_id,
            "SET captured = :true, capturedCents = :amount",
            "attribute_not_exists(cancelled) AND amountCents >= :amount AND "
            "(attribute_not_exists(captured) OR capturedCents = :amount)",
            {":true": True, ":amount": amount_cents},
        )
        if charge is not None:
            if charge.get("cancelled"):
                raise AuthorizationCancelled(payment_id)
            raise InvalidProviderRequest(f"cannot capture {amount_cents} of {payment_id}")

    def cancel(self, payment_id: str, idempotency_key: str) -> None:
        """Releases the hold, once; a captured charge can only be refunded."""
        charge = self._update_charge(
            payment_id, "SET cancelled = :true", "attribute_not_exists(captured)", {":true": True}
        )
        if charge is not None:
            raise AlreadyCaptured(payment_id)

    def _update_charge(
        self, charge_id: str, update: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Applies `update` to an authorized charge when `condition` holds; None when it was
        applied, else the charge as it was (a missing or declined charge is a bug)."""
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key=to_item({"pk": CHARGE_PREFIX + charge_id}),
                UpdateExpression=f"{update}, updatedAt = :now",
                ConditionExpression=f"#state = :succeeded AND {condition}",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_item(
                    {**values, ":succeeded": SUCCEEDED, ":now": now()}
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            charge = item_on_failure(error)
        if charge is None or charge.get("state") != SUCCEEDED:
            raise InvalidProviderRequest(f"no such authorization: {charge_id}")
        return charge

    def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> ProviderRefund:
        charge_id = payment_id
        pk = LEDGER_PREFIX + idempotency_key
        entry = self._count_attempt(
            pk, "refund", {"chargeId": charge_id, "amountCents": amount_cents}
        )
        if "state" in entry:
            return ProviderRefund(refund_id=entry["refundId"])

        found = self._client.get_item(
            TableName=self._table_name,
            Key=to_item({"pk": CHARGE_PREFIX + charge_id}),
            ConsistentRead=True,
        ).get("Item")
        charge = from_item(found) if found else None
        if charge is None or charge.get("state") != SUCCEEDED or not charge.get("captured"):
            raise InvalidProviderRequest(f"no captured charge: {charge_id}")
        if charge["refundsFail"]:
            raise ProviderUnavailable("simulated refund outage")
        if amount_cents <= 0 or amount_cents > charge["capturedCents"]:
            raise InvalidProviderRequest("refund amount must be between 1 and the captured amount")

        refund_id = f"re_sim_{uuid.uuid4().hex}"
        # One refund per charge in this sandbox, whatever the idempotency key.
        mark_charge_refunded: UpdateTypeDef = {
            "TableName": self._table_name,
            "Key": to_item({"pk": charge["pk"]}),
            "UpdateExpression": "SET refundId = :refundId, refundedCents = :amount",
            "ConditionExpression": "attribute_not_exists(refundId)",
            "ExpressionAttributeValues": to_item({":refundId": refund_id, ":amount": amount_cents}),
        }
        settled = self._settle(
            pk, {"state": SUCCEEDED, "refundId": refund_id}, mark_charge_refunded
        )
        return ProviderRefund(refund_id=settled["refundId"])

    def _count_attempt(self, pk: str, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        """Counts this attempt and returns the ledger entry. The first request fixes the
        parameters; reusing a key with different ones is refused, as real providers do."""
        names = {"#kind": "kind", **{f"#{field}": field for field in request}}
        values = {f":{field}": value for field, value in request.items()}
        keep_first = ", ".join(f"#{f} = if_not_exists(#{f}, :{f})" for f in request)
        entry = from_item(
            self._client.update_item(
                TableName=self._table_name,
                Key=to_item({"pk": pk}),
                UpdateExpression=(
                    f"ADD attempts :one SET #kind = if_not_exists(#kind, :kind), {keep_first}, "
                    "createdAt = if_not_exists(createdAt, :now), updatedAt = :now"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(
                    {":one": 1, ":kind": kind, ":now": now(), **values}
                ),
                ReturnValues="ALL_NEW",
            )["Attributes"]
        )
        _refuse_other_parameters(entry, kind, request)
        return entry

    def _record_first(
        self, pk: str, kind: str, request: dict[str, Any], outcome: dict[str, Any]
    ) -> dict[str, Any]:
        """Records the outcome of a request whose key is new, in one conditional write, and
        returns it; a replayed key gets the outcome recorded first instead."""
        timestamp = now()
        entry = {
            "pk": pk,
            "kind": kind,
            **request,
            **outcome,
            "createdAt": timestamp,
            "updatedAt": timestamp,
        }
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=to_item(entry),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return entry
        except ClientError as error:
            recorded = item_on_failure(error) if is_condition_failure(error) else None
            if recorded is None:
                raise
        _refuse_other_parameters(recorded, kind, request)
        if "state" not in recorded:  # attempts were counted (an outage token) but none settled
            return self._settle(pk, outcome)
        return recorded

    def _settle(
        self, pk: str, outcome: dict[str, Any], companion: "UpdateTypeDef | None" = None
    ) -> dict[str, Any]:
        """Records a ledger entry's outcome exactly once, together with `companion` (an update
        of another item, in the same transaction) when given, and returns the settled entry. If
        a concurrent request with the same key settled first, its outcome wins."""
        assignments = ", ".join(f"#{f} = :{f}" for f in outcome)
        settle_entry: UpdateTypeDef = {
            "TableName": self._table_name,
            "Key": to_item({"pk": pk}),
            "UpdateExpression": f"SET {assignments}, updatedAt = :now",
            "ConditionExpression": "attribute_not_exists(#state)",
            "ExpressionAttributeNames": {"#state": "state", **{f"#{f}": f for f in outcome}},
            "ExpressionAttributeValues": to_item(
                {f":{f}": v for f, v in outcome.items()} | {":now": now()}
            ),
            # The entry a concurrent request settled first, so its outcome wins without a read.
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            if companion is None:
                self._client.update_item(**settle_entry)
            else:
                self._client.transact_write_items(
                    TransactItems=[{"Update": settle_entry}, {"Update": companion}]
                )
            return outcome  # settled by this request: nothing to read back
        except ClientError as error:
            if is_condition_failure(error):
                settled = item_on_failure(error)
            elif reasons := cancellation_reasons(error):
                settled = reasons[0].item  # the entry, when its own guard failed
            else:
                raise
        if settled is None or "state" not in settled:
            # Only the companion's guard can have failed (e.g. the charge was already refunded).
            raise InvalidProviderRequest(f"request {pk!r} was refused")
        return settled


def _refuse_other_parameters(entry: dict[str, Any], kind: str, request: dict[str, Any]) -> None:
    if entry["kind"] != kind or any(entry.get(f) != v for f, v in request.items()):
        raise InvalidProviderRequest(
            f"{entry['pk']!r}: idempotency key reused with other parameters"
        )


def _replay_charge(entry: dict[str, Any]) -> ProviderAuthorization:
    if entry["state"] == SUCCEEDED:
        return ProviderAuthorization(payment_id=entry["chargeId"])
    raise CardDeclined(entry["declineCode"])
