"""Duplicates have one effect: the same request ten times at once, the same event delivered
twice to its consumer, the same task twice."""

import json
import time
from collections import Counter

from tests.reliability.conftest import burst, settle

MUG = "SKU-MUG-WHT-12OZ"


def test_one_idempotency_key_posted_ten_times_at_once_is_one_order_one_execution_one_payment(
    app, shop
):
    seeded = {MUG: shop.available(MUG)}
    order = {"items": [{"sku": MUG, "quantity": 1}], "key": "ten-times", "email": "ten@example.com"}

    answers = burst(shop, [order] * 10, workers=10)

    # The first one places it; the others get the same order, or 409 while it is being placed.
    assert set(Counter(a.status for a in answers)) <= {202, 409}
    order_ids = {a.body["orderId"] for a in answers if a.status == 202}
    assert len(order_ids) == 1
    [order_id] = order_ids
    executions = app.client("stepfunctions").list_executions(stateMachineArn=app.state_machine_arn)
    assert [e["name"] for e in executions["executions"]].count(order_id) == 1
    assert settle(app, shop, seeded) == []
    assert shop.order(order_id)["status"] == "CONFIRMED"
    assert shop.available(MUG) == seeded[MUG] - 1
    assert len(shop.emails_to("ten@example.com")) == 1


def test_an_outcome_event_delivered_twice_sends_one_email(app, shop):
    [placed] = burst(
        shop, [{"items": [{"sku": MUG, "quantity": 1}], "email": "twice@example.com"}], 1
    )
    order_id = placed.body["orderId"]
    assert settle(app, shop, {}) == []
    [event] = [e for e in shop.events_for(order_id) if e["detail-type"] == "OrderConfirmed"]
    [queue] = [q for q in app.model.queues if q.logical_id == "NotificationsQueue"]

    # EventBridge delivers at least once: the same event (same id) reaches the queue again.
    app.client("sqs").send_message(QueueUrl=queue.url, MessageBody=json.dumps(event))

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _queue_busy(app, queue.url):
        time.sleep(0.2)
    assert len(shop.emails_to("twice@example.com")) == 1


def _queue_busy(app, url: str) -> bool:
    attributes = app.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return any(int(v) for v in attributes.values())


def test_concurrent_placements_of_the_same_order_never_start_two_checkouts(app, shop):
    """Ten customers, each sending its own request twice at the same moment (a client retry
    racing the first attempt): ten orders, ten executions."""
    orders = [
        {"items": [{"sku": MUG, "quantity": 1}], "key": f"race-{i}", "email": f"c-{i}@example.com"}
        for i in range(10)
    ]
    answers = burst(shop, orders + orders, workers=20)

    placed = {a.body["orderId"] for a in answers if a.status == 202}
    assert len(placed) == 10
    executions = app.client("stepfunctions").list_executions(stateMachineArn=app.state_machine_arn)
    names = Counter(e["name"] for e in executions["executions"])
    assert all(names[order_id] == 1 for order_id in placed)
