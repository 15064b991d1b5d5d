"""Order rules: identity, pricing totals, lifecycle. No AWS calls here."""

import uuid
import zlib
from datetime import UTC, datetime, timedelta

# PENDING moves once to CONFIRMED or FAILED; the repository enforces it with a conditional write.
# The one way back: the checkout fails a CONFIRMED order whose sale its compensations undid
# (see OrdersRepository.update_status).
PENDING, CONFIRMED, FAILED = "PENDING", "CONFIRMED", "FAILED"

# Fixed namespace: the same customer + Idempotency-Key always names the same order.
_ORDER_ID_NAMESPACE = uuid.UUID("6f1c8d2e-3b7a-4c55-9e0f-5a2b7c9d1e44")


def order_id_for(customer_id: str, idempotency_key: str) -> str:
    """Deterministic order id, so a retried request can never create a second order."""
    return str(uuid.uuid5(_ORDER_ID_NAMESPACE, f"{customer_id}\n{idempotency_key}"))


def now() -> str:
    """The service's one clock: UTC, ISO 8601, milliseconds (sortable as a string)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# Orders due for the reconciler are spread over this many index partitions, so the index never
# concentrates every PENDING order's writes on one partition.
RECONCILE_SHARDS = 8
# Internal attributes a customer never sees.
_INTERNAL = frozenset({"pk", "entity", "reconcileShard", "reconcileAt"})


def reconcile_shard(order_id: str) -> str:
    return str(zlib.crc32(order_id.encode()) % RECONCILE_SHARDS)


def after(moment: str, seconds: int) -> str:
    """An ISO timestamp `seconds` after another, in the service's clock format."""
    later = datetime.fromisoformat(moment) + timedelta(seconds=seconds)
    return later.isoformat(timespec="milliseconds")


def new_order(
    order_id: str,
    customer_id: str,
    email: str,
    quote: dict,
    created_at: str,
    reconcile_after_seconds: int,
) -> dict:
    """A PENDING order priced by the catalog's quote (client prices are never used).

    It is due for the reconciler once its checkout has had longer than the workflow's
    worst case: if it is still PENDING then, something stopped the workflow from finishing.
    """
    return {
        "orderId": order_id,
        "customerId": customer_id,
        "email": email,
        "items": quote["items"],
        "amountCents": quote["amountCents"],
        "currency": quote["currency"],
        "status": PENDING,
        "createdAt": created_at,
        "updatedAt": created_at,
        "reconcileShard": reconcile_shard(order_id),
        "reconcileAt": after(created_at, reconcile_after_seconds),
    }


def checkout_input(order: dict, payment_reference: str) -> dict:
    """The state machine's execution input (the task contract in
    docs/checkout-state-machine.md): the payments service's reference, never the token, and no
    address (the history is kept for a year; notifications read the address from the user pool
    when they mail the customer)."""
    return {
        "orderId": order["orderId"],
        "customerId": order["customerId"],
        "currency": order["currency"],
        "amountCents": order["amountCents"],
        "paymentReference": payment_reference,
        "items": [
            {"sku": i["sku"], "quantity": i["quantity"], "unitPriceCents": i["unitPriceCents"]}
            for i in order["items"]
        ],
    }


def public_view(order: dict) -> dict:
    """What the API shows a customer: the stored order without internal attributes."""
    return {k: v for k, v in order.items() if k not in _INTERNAL}


def is_due_for_reconciliation(order: dict) -> bool:
    return "reconcileAt" in order


# Why the reconciler failed an order, by what became of its checkout execution. The names
# follow the ASL error names' style; customers read the generic sentence for them.
RECONCILED_REASONS = {
    None: "CheckoutNotStarted",
    "FAILED": "CheckoutInterrupted",
    "TIMED_OUT": "CheckoutTimedOut",
    "ABORTED": "CheckoutAborted",
    "RUNNING": "CheckoutOverdue",
}


_TASK_FAILED = {"TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut"}
_TASK_SUCCEEDED = {"TaskSucceeded", "LambdaFunctionSucceeded"}


def checkout_steps(history: list[dict]) -> list[dict]:
    """The task states an execution entered, in order, from its history (AWS's event shapes):
    attempts (retries included), the outcome of the last one, and its error name if it failed.
    Only error names leave: an error's cause may quote a provider or a payload."""
    steps: list[dict] = []
    for event in history:
        kind = event["type"]
        if kind == "TaskStateEntered":
            name = event["stateEnteredEventDetails"]["name"]
            steps.append({"step": name, "attempts": 0, "outcome": "running", "error": None})
        elif not steps:
            continue
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled"):
            steps[-1].update(attempts=steps[-1]["attempts"] + 1, outcome="running", error=None)
        elif kind in _TASK_SUCCEEDED:
            steps[-1].update(outcome="succeeded", error=None)
        elif kind in _TASK_FAILED:
            details: dict = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            error = details.get("error") or ("States.Timeout" if "TimedOut" in kind else None)
            steps[-1].update(outcome="failed", error=error)
    return steps
