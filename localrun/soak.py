"""Load and faults on a running `LocalApp`: bursts of concurrent customers, settling a run the
way AWS would (every execution ended and announced, the reconciler done, the mail sent) before
the invariants are checked, and the soak.

`python -m localrun soak --orders 1000 --fault-rate 0.2 --seed 1` places N orders (carts over
several products, cards that pay, decline or meet a provider outage) in concurrent bursts while
faults of every kind are injected into a share of the checkout's task invocations, settles the
run and checks the invariants. Which invocation of a task gets which fault is drawn from the
seed; with concurrent customers, which order that invocation serves is up to the scheduler.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from localrun.invariants import TERMINAL, Violation, check, read_snapshot
from localrun.lambdas import (
    CrashAfterHandlerFault,
    DuplicateDeliveryFault,
    Fault,
    FunctionErrorFault,
    ServiceErrorFault,
    TimeoutFault,
)
from localrun.schedules import scheduled_event
from localrun.seams import ApiErrorFault, FailedEntriesFault, IntegrationFault
from localrun.shop import Response, Shop
from localrun.stack import LocalApp

Progress = Callable[[str], None]
# Once the notifications queue is empty every email has been sent; this is for stragglers.
MAIL_GRACE_SECONDS = 5.0

# --------------------------------------------------------------------------- load


def burst(shop: Shop, orders: list[dict], workers: int) -> list[Response]:
    """Every order placed at once by `workers` concurrent customers; each order is
    {items, token?, key?, email?} (the customer, signed in as that address) and gets a fresh
    Idempotency-Key unless it names one."""

    def place(order: dict) -> Response:
        return shop.place_order(
            order["items"],
            order.get("token", "tok_visa"),
            email=order.get("email", "burst@example.com"),
            idempotency_key=order.get("key") or str(uuid.uuid4()),
        )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(place, orders))


# --------------------------------------------------------------------------- settling a run


class StatusChanges:
    """Step Functions' "Execution Status Change" events, which AWS puts on the default bus when
    an execution ends and the local run does not emit: the orders service's rule sends those of
    checkouts that ended FAILED, TIMED_OUT or ABORTED to the reconciler, at once. Each ended
    execution is announced once."""

    def __init__(self, app: LocalApp):
        self.app = app
        self._announced: set[str] = set()

    def announce(self) -> int:
        """Puts an event on the default bus for every execution that ended since the last call;
        returns how many."""
        sfn, events = self.app.client("stepfunctions"), self.app.client("events")
        ended = [
            execution
            for page in sfn.get_paginator("list_executions").paginate(
                stateMachineArn=self.app.state_machine_arn
            )
            for execution in page["executions"]
            if execution["status"] != "RUNNING" and execution["name"] not in self._announced
        ]
        for start in range(0, len(ended), 10):  # PutEvents takes 10 entries a call
            entries = [self._event(execution) for execution in ended[start : start + 10]]
            answer = events.put_events(Entries=entries)
            if answer["FailedEntryCount"]:
                raise RuntimeError(f"the default bus refused status changes: {answer['Entries']}")
        self._announced.update(execution["name"] for execution in ended)
        return len(ended)

    def _event(self, execution: dict[str, Any]) -> dict[str, Any]:
        detail = {
            "executionArn": execution["executionArn"],
            "stateMachineArn": execution["stateMachineArn"],
            "name": execution["name"],
            "status": execution["status"],
            "startDate": int(execution["startDate"].timestamp() * 1000),
            "stopDate": int(execution["stopDate"].timestamp() * 1000),
        }
        return {
            "Source": "aws.states",
            "DetailType": "Step Functions Execution Status Change",
            "Resources": [execution["executionArn"]],
            "Detail": json.dumps(detail),
        }


def settle(
    app: LocalApp,
    shop: Shop,
    seeded: dict[str, int],
    *,
    status_changes: StatusChanges | None = None,
    timeout: float = 300,
) -> list[Violation]:
    """Lets the run come to rest, then returns the invariants' violations: waits for every
    execution to end, announces their ends (with `status_changes`, as AWS does) and waits for
    the reconciler to take them, runs the reconciler's sweep until it finds nothing more to do,
    and waits for the notifications to be sent."""
    deadline = time.monotonic() + timeout
    while any(status == "RUNNING" for status in read_snapshot(app).executions.values()):
        _before(deadline, "executions still running")
        time.sleep(0.5)
    if status_changes is not None and status_changes.announce():
        _drain(app, "ReconcileQueue", deadline)
    while "RECONCILED" in sweep(app)["reconciled"].values():
        _before(deadline, "the reconciler keeps finding work")
    _drain(app, "NotificationsQueue", deadline)
    grace = time.monotonic() + MAIL_GRACE_SECONDS
    while True:
        violations = check(read_snapshot(app, shop.events()), seeded)
        if not violations or time.monotonic() > grace:
            return violations
        time.sleep(0.5)


def sweep(app: LocalApp) -> dict[str, Any]:
    """What the reconciler's schedule does every few minutes, now."""
    [schedule] = [s for s in app.schedules if s.function.logical_id == "ReconcileOrdersFunction"]
    result = app.lambdas.invoke(
        schedule.function.name, scheduled_event(schedule.function, schedule.schedule)
    )
    if result.function_error:
        raise RuntimeError(f"the reconciler's sweep failed: {result.json()}")
    return result.json()


def _drain(app: LocalApp, queue_id: str, deadline: float) -> None:
    """Waits until the queue's consumer has taken every message (none visible or in flight)."""
    [queue] = [q for q in app.model.queues if q.logical_id == queue_id]
    sqs = app.client("sqs")
    while True:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if not any(int(count) for count in attributes.values()):
            return
        _before(deadline, f"{queue_id} still holds messages")
        time.sleep(0.2)


def _before(deadline: float, what: str) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError(what)


# --------------------------------------------------------------------------- the soak

# The checkout's Lambda tasks, by function; the API's own functions get no faults.
TASK_FUNCTIONS = (
    "ReserveStockFunction",
    "ChargePaymentFunction",
    "CommitStockFunction",
    "CapturePaymentFunction",
    "UpdateOrderStatusFunction",  # ConfirmOrder, MarkOrderFailed, FlagOrderForReconciliation
    "RefundPaymentFunction",
    "ReleaseStockFunction",
)
LAMBDA_FAULTS: dict[str, Fault] = {
    "lambda-service-error": ServiceErrorFault("ServiceException"),
    "lambda-throttled": ServiceErrorFault("TooManyRequestsException", 429),
    "timeout": TimeoutFault(),
    "crash-before-write": FunctionErrorFault("Runtime.ExitError"),
    "dynamodb-throttled": FunctionErrorFault("ProvisionedThroughputExceededException"),
    "crash-after-write": CrashAfterHandlerFault(),
    "duplicate-delivery": DuplicateDeliveryFault(),
    # A bug: no forward step retries it, so the order fails and is compensated.
    "unexpected-error": FunctionErrorFault("RuntimeError"),
}
INTEGRATION_FAULTS: dict[str, tuple[str, IntegrationFault]] = {
    "events:putEvents": ("event-bus-failed-entries", FailedEntriesFault()),
    "sqs:sendMessage": ("alerts-queue-error", ApiErrorFault("InternalError")),
}
# (resourceType, resource) of a task in the history -> the fault target it calls
_INTEGRATION_RESOURCES = {
    ("events", "putEvents"): "events:putEvents",
    ("sqs", "sendMessage"): "sqs:sendMessage",
}

# The soak's own products, so a run on a used app counts only its stock. Carts take 1 to 3 of
# the plentiful ones; some also take the scarce one, and those race for its last units.
PLENTIFUL = {"SKU-SOAK-TEE": 1500, "SKU-SOAK-MUG": 1200, "SKU-SOAK-CAP": 2000, "SKU-SOAK-BAG": 3500}
SCARCE = "SKU-SOAK-SCARCE"
PRICES = {**PLENTIFUL, SCARCE: 9900}
SCARCE_SHARE = 0.15  # of the carts
# Cards, by weight: most pay; some decline; provider outages that recover or outlast the
# retries. No tok_refundOutage: a refund the provider refuses for good keeps money until a
# person acts, which the invariants rightly report.
TOKENS = {
    "tok_visa": 55,
    "tok_mastercard": 15,
    "tok_chargeDeclined": 8,
    "tok_chargeDeclinedInsufficientFunds": 4,
    "tok_outage_1": 8,
    "tok_outage_2": 6,
    "tok_outage_9": 4,
}


@dataclass
class SoakReport:
    orders: int
    fault_rate: float
    seed: int
    placed: Counter[int] = field(default_factory=Counter)  # the API's final answers
    outcomes: Counter[str] = field(default_factory=Counter)  # "CONFIRMED", "FAILED OutOfStock"
    executions: Counter[str] = field(default_factory=Counter)  # "SUCCEEDED", "FAILED <error>"
    task_invocations: Counter[str] = field(default_factory=Counter)  # by target
    faults: Counter[str] = field(default_factory=Counter)  # injected, by kind
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0  # the whole run
    placing_seconds: float = 0.0  # until the last burst's executions ended

    @property
    def ok(self) -> bool:
        """Every order placed and terminal, nothing violated."""
        terminal = all(outcome.split()[0] in TERMINAL for outcome in self.outcomes)
        return not self.violations and self.placed == Counter({202: self.orders}) and terminal

    def lines(self) -> list[str]:
        invocations = sum(self.task_invocations.values())
        injected = sum(self.faults.values())
        rate = injected / invocations if invocations else 0.0
        return [
            f"soak: {self.orders} orders, fault rate {self.fault_rate:.0%}, seed {self.seed}",
            f"duration           {self.seconds:.0f} s ({self.placing_seconds:.0f} s placing"
            f" and running the checkouts, the rest settling and reading the run)",
            f"placed             {_counts(self.placed)}",
            f"orders             {_counts(self.outcomes)}",
            f"executions         {_counts(self.executions)}",
            f"task invocations   {invocations} ({_counts(self.task_invocations)})",
            f"faults injected    {injected} ({rate:.1%} of task invocations)",
            *(f"  {kind:<28}{count}" for kind, count in sorted(self.faults.items())),
            f"violations         {len(self.violations)}",
            *(f"  {violation}" for violation in self.violations),
        ]


def _counts(counter: Counter[Any]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counter.most_common()) or "none"


def soak_orders(count: int, rng: random.Random) -> list[dict]:
    """`count` customers' orders: 1 to 3 products, 1 to 3 of each, a card drawn by weight."""
    orders = []
    for index in range(count):
        skus = rng.sample(list(PLENTIFUL), rng.randint(1, 3))
        if rng.random() < SCARCE_SHARE:
            skus.append(SCARCE)
        orders.append(
            {
                "items": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in skus],
                "token": rng.choices(list(TOKENS), weights=list(TOKENS.values()))[0],
                "email": f"soak-{index % 50}@example.com",
            }
        )
    return orders


def stock_for(count: int) -> dict[str, int]:
    """Enough of the plentiful products for `count` orders; the scarce one runs out (its carts
    want about six times what there is)."""
    return {**{sku: count * 3 for sku in PLENTIFUL}, SCARCE: max(count // 20, 1)}


class FaultPlan:
    """Which invocation of each task target gets which fault: every one independently with
    probability `rate`, its kind drawn uniformly, from a generator seeded by (seed, target), so
    a target's plan does not depend on any other's. `capacity` invocations per target are
    planned; any beyond run without faults."""

    def __init__(self, seed: int, rate: float, capacity: int):
        self.kinds: dict[str, list[str | None]] = {}
        for target in (*TASK_FUNCTIONS, *INTEGRATION_FAULTS):
            rng = random.Random(f"{seed}:{target}")
            kinds = (
                list(LAMBDA_FAULTS) if target in TASK_FUNCTIONS else [INTEGRATION_FAULTS[target][0]]
            )
            self.kinds[target] = [
                rng.choice(kinds) if rng.random() < rate else None for _ in range(capacity)
            ]

    def inject(self, app: LocalApp) -> None:
        for target, plan in self.kinds.items():
            gap = 0
            for kind in plan:
                if kind is None:
                    gap += 1
                elif target in INTEGRATION_FAULTS:
                    app.seams.inject(target, INTEGRATION_FAULTS[target][1], after=gap)
                    gap = 0
                else:
                    app.lambdas.inject(target, LAMBDA_FAULTS[kind], after=gap)
                    gap = 0

    def injected(self, invocations: Counter[str]) -> Counter[str]:
        """The faults that met an invocation: faults queue in order, so a target invoked n
        times got the first n entries of its plan."""
        return Counter(
            kind
            for target, plan in self.kinds.items()
            for kind in plan[: invocations[target]]
            if kind is not None
        )


def task_invocations(app: LocalApp, order_ids: list[str]) -> tuple[Counter[str], Counter[str]]:
    """From the executions' histories: how often each fault target was called (each attempt of
    a task is one TaskScheduled), and how each execution ended."""
    invocations: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    for order_id in order_ids:
        history = app.history(order_id)
        for event in history:
            if event["type"] != "TaskScheduled":
                continue
            details = event["taskScheduledEventDetails"]
            kind = (details["resourceType"], details["resource"])
            if kind == ("lambda", "invoke"):
                function_arn = json.loads(details["parameters"])["FunctionName"]
                # The model finds a function by its alias's ARN too (what the tasks call).
                invocations[app.model.function(function_arn).logical_id] += 1
            elif kind in _INTEGRATION_RESOURCES:
                invocations[_INTEGRATION_RESOURCES[kind]] += 1
        last = history[-1]
        if last["type"] == "ExecutionFailed":
            ends[f"FAILED {last['executionFailedEventDetails'].get('error', '?')}"] += 1
        else:
            ends[last["type"].removeprefix("Execution").upper()] += 1
    return invocations, ends


def run_soak(
    app: LocalApp,
    shop: Shop,
    *,
    orders: int,
    fault_rate: float,
    seed: int,
    burst_size: int = 50,
    workers: int = 25,
    progress: Progress = lambda message: None,
) -> SoakReport:
    """The soak on a started app (virtual time: Retry backoffs are not waited for) whose shop
    retries what the API answers as undecided."""
    started = time.monotonic()
    rng = random.Random(seed)
    report = SoakReport(orders, fault_rate, seed)
    seeded = stock_for(orders)
    _seed_products(shop, seeded)
    plan = FaultPlan(seed, fault_rate, capacity=orders * 4)
    plan.inject(app)
    placed: list[Response] = []
    carts = soak_orders(orders, rng)
    for start in range(0, orders, burst_size):
        placed += burst(shop, carts[start : start + burst_size], workers)
        _wait_for_executions(app)
        progress(f"{len(placed)}/{orders} orders placed, {time.monotonic() - started:.0f} s")
    report.placing_seconds = time.monotonic() - started
    app.lambdas.clear_faults()  # what the plan has left is not for the reconciler
    app.seams.clear_faults()
    report.placed = Counter(response.status for response in placed)
    order_ids = [r.body["orderId"] for r in placed if r.status == 202]
    progress("settling: executions ended, reconciler, mail")
    report.violations = settle(app, shop, seeded, status_changes=StatusChanges(app))
    report.task_invocations, report.executions = task_invocations(app, order_ids)
    report.faults = plan.injected(report.task_invocations)
    snapshot = read_snapshot(app)
    report.outcomes = Counter(
        " ".join(filter(None, (snapshot.orders[i]["status"], snapshot.orders[i].get("reason"))))
        for i in order_ids
    )
    report.seconds = time.monotonic() - started
    return report


def _seed_products(shop: Shop, stock: dict[str, int]) -> None:
    catalog = {
        "currency": "USD",
        "products": [
            {"sku": sku, "name": f"Soak {sku}", "priceCents": PRICES[sku], "stock": units}
            for sku, units in stock.items()
        ],
    }
    with TemporaryDirectory() as directory:
        path = Path(directory) / "soak-catalog.json"
        path.write_text(json.dumps(catalog))
        shop.seed_catalog(path)


def _wait_for_executions(app: LocalApp, timeout: float = 600) -> None:
    sfn = app.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while sfn.list_executions(
        stateMachineArn=app.state_machine_arn, statusFilter="RUNNING", maxResults=1
    )["executions"]:
        _before(deadline, "executions still running")
        time.sleep(0.2)


def run(app: LocalApp, *, orders: int, fault_rate: float, seed: int, progress: Progress) -> int:
    """`python -m localrun soak`: prints the report; exits 1 on a violation, an order not
    placed or one not terminal."""
    with app.start(virtual_time=True):
        shop = Shop(app, retries=5)  # a careful client: retries what the API leaves undecided
        shop.tap_events()
        report = run_soak(
            app, shop, orders=orders, fault_rate=fault_rate, seed=seed, progress=progress
        )
    print("\n".join(report.lines()))
    return 0 if report.ok else 1
