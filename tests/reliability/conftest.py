"""A fresh local application per test module (cold functions, empty tables), and the helpers a
load test needs: bursts of concurrent customers, and settling a run (every execution ended, the
reconciler's sweep done) before the invariants are checked."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from localrun.invariants import Violation, check, read_snapshot
from localrun.schedules import scheduled_event
from localrun.shop import Response, Shop
from localrun.stack import LocalApp


@pytest.fixture(scope="module")
def app():
    with LocalApp().start(virtual_time=True) as running:
        yield running


@pytest.fixture(scope="module")
def shop(app):
    # Customers as the API asks them to behave: an answer that leaves the outcome open (409,
    # 502-504: e.g. a cold function timing out on a busy machine) is retried with the same
    # Idempotency-Key, so it can never place a second order.
    shop = Shop(app, retries=5)
    shop.seed_catalog()
    shop.tap_events()
    return shop


def burst(shop: Shop, orders: list[dict], workers: int) -> list[Response]:
    """Every order placed at once by `workers` concurrent customers; each order is
    {items, token?, key?} and gets a fresh Idempotency-Key unless it names one."""

    def place(order: dict) -> Response:
        return shop.place_order(
            order["items"],
            order.get("token", "tok_visa"),
            customer_id=order.get("customer", "cust-burst"),
            email=order.get("email", "burst@example.com"),
            idempotency_key=order.get("key") or str(uuid.uuid4()),
        )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(place, orders))


def settle(
    app: LocalApp, shop: Shop, seeded: dict[str, int], timeout: float = 300
) -> list[Violation]:
    """Waits for every execution to end, lets the reconciler sweep what is due, waits for the
    mail, and returns the invariants' violations."""
    deadline = time.monotonic() + timeout
    while any(status == "RUNNING" for status in read_snapshot(app).executions.values()):
        assert time.monotonic() < deadline, "executions still running"
        time.sleep(0.5)
    [sweep] = [s for s in app.schedules if s.function.logical_id == "ReconcileOrdersFunction"]
    app.lambdas.invoke(sweep.function.name, scheduled_event(sweep.function, sweep.schedule))
    while True:
        violations = check(read_snapshot(app, shop.events()), seeded)
        if not violations or time.monotonic() > deadline:
            return violations
        time.sleep(0.5)  # emails are still on their way
