"""The customer's and the operator's view of a running `LocalApp`: what the demo, the
end-to-end tests and the benchmark do and read.

Customers go through the HTTP API only, signed in to the user pool (an account per email
address, created on first use) with their ID token on every orders request. Operators read what
AWS would show them: execution histories, the payments table, the alerts queue, the mail SES
sent, the events on the bus.
"""

from __future__ import annotations

import http.client
import json
import runpy
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from localrun.authorizer import EXPIRED
from localrun.emulator import FAKE_CREDENTIALS
from localrun.stack import REPO_ROOT, LocalApp
from localrun.template import REGION

# The inventory team's seed entry point (it owns the product item shape), loaded by path.
SEED_SCRIPT = REPO_ROOT / "services" / "inventory" / "seed" / "seed_catalog.py"
SAMPLE_CATALOG = SEED_SCRIPT.with_name("sample-catalog.json")
EVENT_SOURCE = "ecommerce.checkout"


# Answers that leave the outcome open, after which the API's contract is to retry with the
# same Idempotency-Key: in progress (409), the function failed or timed out (502, 504), a
# dependency was unavailable (503).
RETRIED_STATUSES = frozenset({409, 502, 503, 504})
DEFAULT_CUSTOMER = "ada@example.com"


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]
    retried: list[int] = field(default_factory=list)  # the statuses answered before this one


@dataclass
class Step:
    """One state the execution entered, with how many times its task ran."""

    name: str
    attempts: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)


class Shop:
    def __init__(self, app: LocalApp, *, retries: int = 0):
        """`retries`: how often a request answered with a RETRIED_STATUSES status is sent
        again (after 1, 2, 4 ... s), as a careful client does; 0 shows every answer as is."""
        self.app = app
        self.retries = retries
        self._tap_url: str | None = None
        self._tapped: list[dict] = []
        self._connections = threading.local()  # one kept-alive API connection per thread
        self._tokens: dict[str, str] = {}  # ID token by customer email
        self._tokens_lock = threading.Lock()
        self._owners: dict[str, str] = {}  # the customer (email) who placed each order

    # -- set-up ---------------------------------------------------------------

    def has_catalog(self) -> bool:
        """Whether this app has the inventory service (another template may not)."""
        return any(t.logical_id == "InventoryTable" for t in self.app.model.tables)

    def seed_catalog(self, catalog: Path = SAMPLE_CATALOG) -> list[dict]:
        """Loads products through the inventory service's seed script: it owns the item shape."""
        seed = runpy.run_path(str(SEED_SCRIPT))
        products = seed["load_catalog"](catalog)
        self._seed_products(seed, products)
        return products

    def set_stock(self, sku: str, stock: int) -> None:
        """Sets a seeded product's stock (e.g. for `bench`): the product as the public catalog
        API shows it, re-seeded through the inventory seed script with the new stock."""
        shown = self.request("GET", f"/products/{sku}")
        if shown.status == 404:
            raise KeyError(f"no product {sku}: seed_catalog() first")
        product = {key: shown.body[key] for key in ("sku", "name", "priceCents", "currency")}
        self._seed_products(runpy.run_path(str(SEED_SCRIPT)), [{**product, "stock": stock}])

    def tap_events(self) -> None:
        """An extra rule that copies every checkout event into a queue we can read, the way an
        integration test listens to a real bus (see `events_for`)."""
        sqs, events = self.app.client("sqs"), self.app.client("events")
        queue_url = sqs.create_queue(QueueName="localrun-event-tap")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        [bus] = self.app.model.event_buses
        events.put_rule(
            Name="localrun-event-tap",
            EventBusName=bus.name,
            EventPattern=json.dumps({"source": [EVENT_SOURCE]}),
        )
        events.put_targets(
            Rule="localrun-event-tap",
            EventBusName=bus.name,
            Targets=[{"Id": "tap", "Arn": queue_arn}],
        )
        self._tap_url = queue_url

    # -- the customer's side: HTTP ------------------------------------------------

    def id_token(self, email: str, *, fresh: bool = False) -> str:
        """The customer's ID token: signed in (their account created) on first use."""
        with self._tokens_lock:
            if fresh or email not in self._tokens:
                self._tokens[email] = self.app.sign_in(email)["IdToken"]
            return self._tokens[email]

    def request(
        self, method: str, path: str, body: Any = None, headers=None, *, as_customer: str = ""
    ) -> Response:
        """One API call on this thread's kept-alive connection, as browsers and SDKs make them,
        sent again up to `retries` times while its answer leaves the outcome open.
        `as_customer`: the email of the customer whose ID token goes in Authorization (signed
        in again once if it has expired)."""
        retried: list[int] = []
        while True:
            response = self._send_as(as_customer, method, path, body, headers)
            if response.status not in RETRIED_STATUSES or len(retried) == self.retries:
                response.retried = retried
                return response
            time.sleep(2 ** len(retried))
            retried.append(response.status)

    def _send_as(self, customer: str, method: str, path: str, body: Any, headers) -> Response:
        if not customer:
            return self._send(method, path, body, headers)
        signed_in = {**(headers or {}), "Authorization": self.id_token(customer)}
        response = self._send(method, path, body, signed_in)
        if response.status == 401 and response.body == {"message": EXPIRED}:
            signed_in["Authorization"] = self.id_token(customer, fresh=True)
            response = self._send(method, path, body, signed_in)
        return response

    def _send(self, method: str, path: str, body: Any, headers) -> Response:
        data = body if isinstance(body, bytes | None) else json.dumps(body).encode()
        url = urlsplit(self.app.api_url)
        headers = {"Content-Type": "application/json", **(headers or {})}
        for attempt in (1, 2):
            connection = self._connection(url, fresh=attempt == 2)
            try:
                connection.request(method, url.path + path, body=data, headers=headers)
                reply = connection.getresponse()
                raw = reply.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the kept-alive connection before reading this request.
                if attempt == 2:
                    raise
        return Response(reply.status, json.loads(raw) if raw else None, dict(reply.headers))

    def _connection(self, url, fresh: bool) -> http.client.HTTPConnection:
        connection = getattr(self._connections, "api", None)
        if connection is None or fresh or connection.port != url.port:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            self._connections.api = connection
        return connection

    def place_order(
        self,
        items: list[dict],
        payment_token: str = "pm_card_visa",
        email: str = DEFAULT_CUSTOMER,
        idempotency_key: str | None = None,
    ) -> Response:
        """Placed by the customer signed in as `email` (the order's mail goes there)."""
        body = {"paymentToken": payment_token, "items": items}
        key = idempotency_key or str(uuid.uuid4())
        placed = self.request("POST", "/orders", body, {"Idempotency-Key": key}, as_customer=email)
        if placed.status == 202:
            self._owners[placed.body["orderId"]] = email
        return placed

    def order(self, order_id: str) -> dict:
        """The order as the customer who placed it (through this shop) reads it."""
        owner = self._owners.get(order_id, DEFAULT_CUSTOMER)
        return self.request("GET", f"/orders/{order_id}", as_customer=owner).body

    def available(self, sku: str) -> int:
        shown = self.request("GET", f"/products/{sku}")
        if shown.status != 200:
            raise RuntimeError(f"GET /products/{sku} answered {shown.status} {shown.body}")
        return shown.body["available"]

    # -- the operator's side ---------------------------------------------------

    def route(self, order_id: str) -> list[Step]:
        """The states the order's execution entered, in order, with attempts and errors."""
        steps: list[Step] = []
        for event in self.app.history(order_id):
            if event["type"].endswith("StateEntered"):
                steps.append(Step(event["stateEnteredEventDetails"]["name"]))
            elif event["type"] == "TaskScheduled":
                steps[-1].attempts += 1
            elif event["type"] == "TaskFailed":
                steps[-1].errors.append(event["taskFailedEventDetails"].get("error", "?"))
        return steps

    def order_record(self, order_id: str) -> dict | None:
        """The order as the orders table holds it, internal attributes included."""
        item = self._table("OrdersTable").get_item(
            Key={"pk": f"ORDER#{order_id}"}, ConsistentRead=True
        )
        return item.get("Item")

    def make_due_for_reconciliation(self, order_id: str) -> None:
        """What waiting out the checkout's worst case would do: the order is due now."""
        self._table("OrdersTable").update_item(
            Key={"pk": f"ORDER#{order_id}"},
            UpdateExpression="SET reconcileAt = :past",
            ConditionExpression="attribute_exists(reconcileAt)",
            ExpressionAttributeValues={":past": "2000-01-01T00:00:00.000+00:00"},
        )

    def payment(self, order_id: str) -> dict | None:
        item = self._table("PaymentsTable").get_item(
            Key={"pk": f"PAYMENT#{order_id}"}, ConsistentRead=True
        )
        return item.get("Item")

    def alerts(self) -> list[dict]:
        """Messages on the checkout alerts queue (read without deleting them)."""
        [queue] = [q for q in self.app.model.queues if q.logical_id == "CheckoutAlertsQueue"]
        return self._peek(queue.url)

    def events_for(self, order_id: str) -> list[dict]:
        """Checkout events published for an order so far (needs `tap_events()` first)."""
        return [e for e in self.events() if e["detail"].get("orderId") == order_id]

    def events(self) -> list[dict]:
        """Every checkout event published so far (needs `tap_events()` first)."""
        sqs = self.app.client("sqs")
        while messages := sqs.receive_message(
            QueueUrl=self._tap_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in messages:
                self._tapped.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._tap_url, ReceiptHandle=message["ReceiptHandle"])
        return list(self._tapped)

    def emails_to(self, address: str) -> list[dict]:
        return [
            m
            for m in self.app.sent_emails()
            if address in m.get("destinations", {}).get("ToAddresses", [])
        ]

    # -- helpers --------------------------------------------------------------

    def _seed_products(self, seed: dict, products: list[dict]) -> None:
        [table] = [t for t in self.app.model.tables if t.logical_id == "InventoryTable"]
        seed["seed_products"](self.app.client("dynamodb"), table.name, products)

    def _table(self, logical_id: str):
        [table] = [t for t in self.app.model.tables if t.logical_id == logical_id]
        dynamodb = boto3.resource(
            "dynamodb", endpoint_url=self.app.emulator.url, region_name=REGION, **FAKE_CREDENTIALS
        )
        return dynamodb.Table(table.name)

    def _peek(self, queue_url: str) -> list[dict]:
        sqs = self.app.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]
