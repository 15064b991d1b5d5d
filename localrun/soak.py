"""Load on a running `LocalApp`: bursts of concurrent customers, and settling a run the way
AWS would (every execution ended and announced, the reconciler done, the mail sent) before the
invariants are checked."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from localrun.invariants import Violation, check, read_snapshot
from localrun.schedules import scheduled_event
from localrun.shop import Response, Shop
from localrun.stack import LocalApp

# Once the notifications queue is empty every email has been sent; this is for stragglers.
MAIL_GRACE_SECONDS = 5.0

# --------------------------------------------------------------------------- load


def burst(shop: Shop, orders: list[dict], workers: int) -> list[Response]:
    """Every order placed at once by `workers` concurrent customers; each order is
    {items, token?, key?, customer?, email?} and gets a fresh Idempotency-Key unless it names
    one."""

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
