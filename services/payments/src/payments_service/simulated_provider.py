"""A sandbox payment provider with documented test tokens (see services/payments/README.md).

It behaves like a real provider with idempotency keys. Its ledger lives in the payments table:
one item per charge, `SIMPROVIDER#CHARGE#<chargeId>`, whose id is derived from the charge's
idempotency key, so a replayed key lands on the same item and returns the same charge (or the
same decline) instead of making a new one; and `SIMPROVIDER#<idempotencyKey>` per refund.
Attempts are counted only where an answer depends on them (the outage tokens, refunds), so a
plain charge is one conditional write. It never stores the token, only what the token made
happen.
"""

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from payments_service.provider import (
    CardDeclined,
    InvalidProviderRequest,
    ProviderCharge,
    ProviderRefund,
    ProviderUnavailable,
)

SUCCEEDING_TOKENS = frozenset({"tok_visa", "tok_mastercard"})
DECLINING_TOKENS = {
    "tok_chargeDeclined": "generic_decline",
    "tok_chargeDeclinedInsufficientFunds": "insufficient_funds",
}
REFUND_OUTAGE_TOKEN = "tok_refundOutage"
OUTAGE_TOKEN = re.compile(r"tok_outage_([1-9])")
UNKNOWN_TOKEN_DECLINE = "invalid_token"

SUCCEEDED = "SUCCEEDED"
DECLINED = "DECLINED"
LEDGER_PREFIX = "SIMPROVIDER#"
CHARGE_PREFIX = "SIMPROVIDER#CHARGE#"
_deserialize = TypeDeserializer().deserialize
_CHARGE_IDS = uuid.UUID("6f0f6a52-3b9e-4c55-9a43-5b8f3a1e2c10")  # namespace of key -> charge id


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _is_condition_failure(error: ClientError) -> bool:
    code = error.response["Error"]["Code"]
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def charge_id_for(idempotency_key: str) -> str:
    """The id of the charge a key makes: the same key always reaches the same ledger item."""
    return f"ch_sim_{uuid.uuid5(_CHARGE_IDS, idempotency_key).hex}"


class SimulatedProvider:
    def __init__(self, table: Any) -> None:
        self._table = table

    def charge(
        self, token: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> ProviderCharge:
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

    def refund(self, charge_id: str, amount_cents: int, idempotency_key: str) -> ProviderRefund:
        pk = LEDGER_PREFIX + idempotency_key
        entry = self._count_attempt(
            pk, "refund", {"chargeId": charge_id, "amountCents": amount_cents}
        )
        if "state" in entry:
            return ProviderRefund(refund_id=entry["refundId"])

        charge = self._table.get_item(
            Key={"pk": CHARGE_PREFIX + charge_id}, ConsistentRead=True
        ).get("Item")
        if charge is None or charge.get("state") != SUCCEEDED:
            raise InvalidProviderRequest(f"no such charge: {charge_id}")
        if charge["refundsFail"]:
            raise ProviderUnavailable("simulated refund outage")
        if amount_cents <= 0 or amount_cents > charge["amountCents"]:
            raise InvalidProviderRequest("refund amount must be between 1 and the charged amount")

        refund_id = f"re_sim_{uuid.uuid4().hex}"
        # One refund per charge in this sandbox, whatever the idempotency key.
        mark_charge_refunded = {
            "Update": {
                "TableName": self._table.name,
                "Key": {"pk": charge["pk"]},
                "UpdateExpression": "SET refundId = :refundId, refundedCents = :amount",
                "ConditionExpression": "attribute_not_exists(refundId)",
                "ExpressionAttributeValues": {
                    ":refundId": refund_id,
                    ":amount": amount_cents,
                },
            }
        }
        settled = self._settle(
            pk, {"state": SUCCEEDED, "refundId": refund_id}, mark_charge_refunded
        )
        return ProviderRefund(refund_id=settled["refundId"])

    def _count_attempt(self, pk: str, kind: str, request: dict) -> dict:
        """Counts this attempt and returns the ledger entry. The first request fixes the
        parameters; reusing a key with different ones is refused, as real providers do."""
        names = {"#kind": "kind", **{f"#{field}": field for field in request}}
        values = {f":{field}": value for field, value in request.items()}
        keep_first = ", ".join(f"#{f} = if_not_exists(#{f}, :{f})" for f in request)
        entry = self._table.update_item(
            Key={"pk": pk},
            UpdateExpression=(
                f"ADD attempts :one SET #kind = if_not_exists(#kind, :kind), {keep_first}, "
                "createdAt = if_not_exists(createdAt, :now), updatedAt = :now"
            ),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":one": 1, ":kind": kind, ":now": _now(), **values},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        _refuse_other_parameters(entry, kind, request)
        return entry

    def _record_first(self, pk: str, kind: str, request: dict, outcome: dict) -> dict:
        """Records the outcome of a request whose key is new, in one conditional write, and
        returns it; a replayed key gets the outcome recorded first instead."""
        now = _now()
        entry = {"pk": pk, "kind": kind, **request, **outcome, "createdAt": now, "updatedAt": now}
        try:
            self._table.put_item(
                Item=entry,
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return entry
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            recorded = {k: _deserialize(v) for k, v in error.response["Item"].items()}
        _refuse_other_parameters(recorded, kind, request)
        if "state" not in recorded:  # attempts were counted (an outage token) but none settled
            return self._settle(pk, outcome)
        return recorded

    def _settle(self, pk: str, outcome: dict, companion: dict | None = None) -> dict:
        """Records a ledger entry's outcome exactly once, together with `companion` (a
        TransactWriteItems entry) when given, and returns the settled entry. If a concurrent
        request with the same key settled first, its outcome wins."""
        assignments = ", ".join(f"#{f} = :{f}" for f in outcome)
        names = {"#state": "state", **{f"#{f}": f for f in outcome}}
        values = {f":{f}": v for f, v in outcome.items()} | {":now": _now()}
        settle_entry = {
            "UpdateExpression": f"SET {assignments}, updatedAt = :now",
            "ConditionExpression": "attribute_not_exists(#state)",
            "ExpressionAttributeNames": names,
        }
        try:
            if companion is None:
                self._table.update_item(
                    Key={"pk": pk}, ExpressionAttributeValues=values, **settle_entry
                )
            else:
                # The resource's client serializes plain Python values, like the Table does.
                self._table.meta.client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self._table.name,
                                "Key": {"pk": pk},
                                "ExpressionAttributeValues": values,
                                **settle_entry,
                            }
                        },
                        companion,
                    ]
                )
            return outcome  # settled by this request: nothing to read back
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
        settled = self._table.get_item(Key={"pk": pk}, ConsistentRead=True)["Item"]
        if "state" not in settled:
            # Only the companion's guard can have failed (e.g. the charge was already refunded).
            raise InvalidProviderRequest(f"request {pk!r} was refused")
        return settled


def _refuse_other_parameters(entry: dict, kind: str, request: dict) -> None:
    if entry["kind"] != kind or any(entry.get(f) != v for f, v in request.items()):
        raise InvalidProviderRequest(
            f"{entry['pk']!r}: idempotency key reused with other parameters"
        )


def _replay_charge(entry: dict) -> ProviderCharge:
    if entry["state"] == SUCCEEDED:
        return ProviderCharge(charge_id=entry["chargeId"])
    raise CardDeclined(entry["declineCode"])
