"""A sandbox payment provider with documented test tokens (see services/payments/README.md).

It behaves like a real provider with idempotency keys: its ledger lives in the payments table
under `SIMPROVIDER#<idempotencyKey>` (plus `SIMPROVIDER#CHARGE#<chargeId>`, so a refund can find
its charge), a replayed key returns the same charge or refund instead of making a new one, and
attempt counters survive across Lambda invocations. It never stores the token, only what the
token made happen.
"""

import re
import uuid
from datetime import UTC, datetime
from typing import Any

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


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _is_condition_failure(error: ClientError) -> bool:
    code = error.response["Error"]["Code"]
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


class SimulatedProvider:
    def __init__(self, table: Any) -> None:
        self._table = table

    def charge(
        self, token: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> ProviderCharge:
        entry = self._count_attempt(
            idempotency_key, "charge", {"amountCents": amount_cents, "currency": currency}
        )
        if "state" in entry:
            return _replay_charge(entry)

        outage = OUTAGE_TOKEN.fullmatch(token)
        if outage and entry["attempts"] <= int(outage.group(1)):
            raise ProviderUnavailable(f"simulated outage (attempt {entry['attempts']})")
        if not (outage or token in SUCCEEDING_TOKENS or token == REFUND_OUTAGE_TOKEN):
            decline_code = DECLINING_TOKENS.get(token, UNKNOWN_TOKEN_DECLINE)
            return _replay_charge(
                self._settle(idempotency_key, {"state": DECLINED, "declineCode": decline_code})
            )

        charge_id = f"ch_sim_{uuid.uuid4().hex}"
        charge = {
            "pk": CHARGE_PREFIX + charge_id,
            "chargeId": charge_id,
            "amountCents": amount_cents,
            "currency": currency,
            "refundsFail": token == REFUND_OUTAGE_TOKEN,
            "createdAt": _now(),
        }
        create_charge = {
            "Put": {
                "TableName": self._table.name,
                "Item": charge,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        settled = self._settle(
            idempotency_key, {"state": SUCCEEDED, "chargeId": charge_id}, create_charge
        )
        return _replay_charge(settled)

    def refund(self, charge_id: str, amount_cents: int, idempotency_key: str) -> ProviderRefund:
        entry = self._count_attempt(
            idempotency_key, "refund", {"chargeId": charge_id, "amountCents": amount_cents}
        )
        if "state" in entry:
            return ProviderRefund(refund_id=entry["refundId"])

        charge = self._table.get_item(
            Key={"pk": CHARGE_PREFIX + charge_id}, ConsistentRead=True
        ).get("Item")
        if charge is None:
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
            idempotency_key, {"state": SUCCEEDED, "refundId": refund_id}, mark_charge_refunded
        )
        return ProviderRefund(refund_id=settled["refundId"])

    def _count_attempt(self, key: str, kind: str, request: dict) -> dict:
        """Counts this attempt and returns the ledger entry. The first request fixes the
        parameters; reusing a key with different ones is refused, as real providers do."""
        names = {"#kind": "kind", **{f"#{field}": field for field in request}}
        values = {f":{field}": value for field, value in request.items()}
        keep_first = ", ".join(f"#{f} = if_not_exists(#{f}, :{f})" for f in request)
        entry = self._table.update_item(
            Key={"pk": LEDGER_PREFIX + key},
            UpdateExpression=(
                f"ADD attempts :one SET #kind = if_not_exists(#kind, :kind), {keep_first}, "
                "createdAt = if_not_exists(createdAt, :now), updatedAt = :now"
            ),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":one": 1, ":kind": kind, ":now": _now(), **values},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        if entry["kind"] != kind or any(entry[f] != v for f, v in request.items()):
            raise InvalidProviderRequest(f"idempotency key {key!r} reused with other parameters")
        return entry

    def _settle(self, key: str, outcome: dict, companion: dict | None = None) -> dict:
        """Records a key's outcome exactly once, together with `companion` (a TransactWriteItems
        entry) when given, and returns the settled entry. If a concurrent request with the same
        key settled first, its outcome wins."""
        pk = LEDGER_PREFIX + key
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
            raise InvalidProviderRequest(f"request for idempotency key {key!r} was refused")
        return settled


def _replay_charge(entry: dict) -> ProviderCharge:
    if entry["state"] == SUCCEEDED:
        return ProviderCharge(charge_id=entry["chargeId"])
    raise CardDeclined(entry["declineCode"])
