"""The checkout's invariants, checked over what a run left behind: the tables, the executions,
the mail. After any run (a test, the demo, a soak, `make serve` and a load), nothing may be
violated once every execution has ended and the reconciler has run:

- every order is terminal once its execution ended (PENDING only while its execution runs);
- CONFIRMED <=> the money was captured once (for the order's amount) and its stock committed
  for exactly its lines;
- FAILED <=> no money kept (nothing captured, or what was captured refunded) and its
  reservation released (or never made);
- no stock is negative, and for every sku available + committed + held = seeded;
- one email per outcome event: each OrderConfirmed/OrderFailed published got exactly one email
  (without a record of the events, at most one email per order).

`check()` is pure (a snapshot in, violations out) so each rule is tested alone;
`read_snapshot()` reads a running app. `python -m localrun check` runs both against a running
`make serve`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

TERMINAL = ("CONFIRMED", "FAILED")
NO_MONEY_KEPT = ("DECLINED", "REFUNDED", "CANCELLED")


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str  # an order id or a sku
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.subject}: {self.detail}"


@dataclass
class Snapshot:
    """What the tables, Step Functions and SES hold, as plain items."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> item
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> record
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # charge id -> ledger item
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> item
    stock: dict[str, int] = field(default_factory=dict)  # sku -> available
    executions: dict[str, str] = field(default_factory=dict)  # order id -> status
    emails: list[dict[str, Any]] = field(default_factory=list)  # SES messages
    # order id -> outcome events published for it (OrderConfirmed/OrderFailed), when known
    outcome_events: Counter[str] | None = None


def check(snapshot: Snapshot, seeded: dict[str, int]) -> list[Violation]:
    """Every violated invariant; [] when the run left everything consistent."""
    return [
        *_orders_are_terminal(snapshot),
        *_confirmed_orders_are_paid_and_committed(snapshot),
        *_failed_orders_keep_nothing(snapshot),
        *_stock_adds_up(snapshot, seeded),
        *_one_email_per_outcome(snapshot),
    ]


def _orders_are_terminal(s: Snapshot) -> list[Violation]:
    found = []
    for order_id, order in s.orders.items():
        if order["status"] in TERMINAL:
            continue
        execution = s.executions.get(order_id)
        if execution != "RUNNING":
            found.append(
                Violation("terminal", order_id, f"PENDING but its execution is {execution}")
            )
    return found


def _lines(items: list[dict[str, Any]]) -> dict[str, int]:
    merged: Counter[str] = Counter()
    for line in items:
        merged[line["sku"]] += int(line["quantity"])
    return dict(merged)


def _money_kept(payment: dict[str, Any] | None) -> bool:
    """Taken or still held: an authorization holds the customer's funds until it is cancelled."""
    if payment is None or payment["status"] in ("DECLINED", "REFUNDED"):
        return False
    if payment["status"] == "CANCELLED":  # an authorization that landed after it was cancelled
        return bool(payment.get("providerPaymentId")) and not payment.get(
            "authorizationCancelledAt"
        )
    return True  # AUTHORIZED, CAPTURED, or PENDING: the provider may hold it


def _confirmed_orders_are_paid_and_committed(s: Snapshot) -> list[Violation]:
    found = []
    for order_id, order in s.orders.items():
        if order["status"] != "CONFIRMED":
            continue
        payment = s.payments.get(order_id)
        if payment is None or payment["status"] != "CAPTURED":
            status = payment and payment["status"]
            found.append(Violation("confirmed-paid", order_id, f"payment is {status}"))
        elif int(payment["amountCents"]) != int(order["amountCents"]):
            found.append(
                Violation(
                    "confirmed-paid",
                    order_id,
                    f"captured {payment['amountCents']} for an order of {order['amountCents']}",
                )
            )
        elif (charge := s.charges.get(payment.get("providerPaymentId", ""))) and charge.get(
            "refundId"
        ):
            found.append(Violation("confirmed-paid", order_id, "its charge was refunded"))
        reservation = s.reservations.get(order_id)
        if reservation is None or reservation["status"] != "COMMITTED":
            status = reservation and reservation["status"]
            found.append(Violation("confirmed-committed", order_id, f"reservation is {status}"))
        elif _lines(reservation["items"]) != _lines(order["items"]):
            found.append(
                Violation("confirmed-committed", order_id, "committed lines differ from the order")
            )
    return found


def _failed_orders_keep_nothing(s: Snapshot) -> list[Violation]:
    found = []
    for order_id, order in s.orders.items():
        if order["status"] != "FAILED":
            continue
        payment = s.payments.get(order_id)
        if _money_kept(payment):
            detail = f"payment {payment and payment['status']} was not given back"
            found.append(Violation("failed-no-money", order_id, detail))
        reservation = s.reservations.get(order_id)
        if reservation is not None and reservation["status"] != "RELEASED":
            found.append(
                Violation("failed-released", order_id, f"reservation is {reservation['status']}")
            )
    return found


def _stock_adds_up(s: Snapshot, seeded: dict[str, int]) -> list[Violation]:
    committed: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for reservation in s.reservations.values():
        tally = {"COMMITTED": committed, "RESERVED": held}.get(reservation["status"])
        if tally is not None:
            tally.update(_lines(reservation["items"]))
    found = []
    for sku, available in s.stock.items():
        if available < 0:
            found.append(Violation("stock-not-negative", sku, f"stock is {available}"))
        if sku in seeded and available + committed[sku] + held[sku] != seeded[sku]:
            found.append(
                Violation(
                    "stock-adds-up",
                    sku,
                    f"available {available} + committed {committed[sku]} + held {held[sku]}"
                    f" != seeded {seeded[sku]}",
                )
            )
    return found


def _one_email_per_outcome(s: Snapshot) -> list[Violation]:
    emails: Counter[str] = Counter()
    for email in s.emails:
        for order_id in s.orders:
            if order_id in email.get("subject", ""):
                emails[order_id] += 1
    found = []
    for order_id in s.orders:
        if s.outcome_events is None:
            if emails[order_id] > 1:
                found.append(Violation("one-email", order_id, f"{emails[order_id]} emails"))
        elif emails[order_id] != s.outcome_events[order_id]:
            found.append(
                Violation(
                    "one-email",
                    order_id,
                    f"{emails[order_id]} emails for {s.outcome_events[order_id]} outcome events",
                )
            )
    return found


# --------------------------------------------------------------------------- reading a run


_deserializer = TypeDeserializer()


def _items(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item of a table, read consistently, as plain Python."""
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
        for item in page["Items"]:
            items.append({name: _deserializer.deserialize(v) for name, v in item.items()})
    return items


def read_snapshot(app: Any, outcome_events: list[dict[str, Any]] | None = None) -> Snapshot:
    """Everything `check` needs from a running LocalApp (tables by their template ids).
    `outcome_events`: the checkout events a tap on the bus saw, if any (see Shop.tap_events)."""
    dynamodb = app.client("dynamodb")
    tables = {t.logical_id: t.name for t in app.model.tables}
    snapshot = Snapshot()
    for item in _items(dynamodb, tables["OrdersTable"]):
        if item["pk"].startswith("ORDER#"):
            snapshot.orders[item["orderId"]] = item
    for item in _items(dynamodb, tables["PaymentsTable"]):
        if item["pk"].startswith("PAYMENT#"):
            snapshot.payments[item["orderId"]] = item
        elif item["pk"].startswith("SIMPROVIDER#CHARGE#") and "chargeId" in item:
            snapshot.charges[item["chargeId"]] = item
    for item in _items(dynamodb, tables["InventoryTable"]):
        if item["pk"].startswith("PRODUCT#"):
            snapshot.stock[item["sku"]] = int(item["stock"])
        elif item["pk"].startswith("RESERVATION#"):
            snapshot.reservations[item["orderId"]] = item
    sfn = app.client("stepfunctions")
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=app.state_machine_arn
    ):
        for execution in page["executions"]:
            snapshot.executions[execution["name"]] = execution["status"]
    snapshot.emails = app.sent_emails()
    if outcome_events is not None:
        snapshot.outcome_events = Counter(
            e["detail"]["orderId"]
            for e in outcome_events
            if e["detail-type"] in ("OrderConfirmed", "OrderFailed")
        )
    return snapshot


class RemoteRun:
    """A running `make serve`, seen from another process: its AWS endpoint (moto) and the
    template it was started from; what `read_snapshot` needs of a LocalApp."""

    def __init__(self, endpoint_url: str, model: Any):
        self.model = model
        self._endpoint_url = endpoint_url.rstrip("/")

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]  # any service the run emulates
            endpoint_url=self._endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @property
    def state_machine_arn(self) -> str:
        return self.model.state_machine().arn

    def sent_emails(self) -> list[dict[str, Any]]:
        """From moto's own data endpoint: fine once the run is idle, as when checking it."""
        import json
        import urllib.request

        with urllib.request.urlopen(f"{self._endpoint_url}/moto-api/data.json", timeout=30) as r:
            return list(json.loads(r.read()).get("ses", {}).get("Message", []))
