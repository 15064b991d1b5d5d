"""The reconciler's decisions, over the real orders table (moto) with the outside world faked:
the state machine, the compensation functions and the event bus."""

import pytest

from orders_service import domain, reconciling
from orders_service.errors import CompensationNotCompleted
from orders_service.repository import OrdersRepository

QUOTE = {
    "currency": "USD",
    "amountCents": 1299,
    "items": [{"sku": "SKU-TSHIRT-BLK-M", "quantity": 1, "unitPriceCents": 1299, "name": "T"}],
}
PAST = "2000-01-01T00:00:00.000+00:00"


class FakeWorkflow:
    def __init__(self, statuses=None):
        self.statuses = statuses or {}
        self.stopped = []

    def status(self, order_id):
        return self.statuses.get(order_id)

    def stop(self, order_id, cause):
        self.stopped.append(order_id)
        self.statuses[order_id] = "ABORTED"


class FakeCompensations:
    def __init__(self):
        self.failing = set()  # step names, or order ids, that fail
        self.calls = []

    def refund_payment(self, order_id):
        return self._run("RefundPayment", order_id)

    def release_stock(self, order_id):
        return self._run("ReleaseStock", order_id)

    def _run(self, step, order_id):
        self.calls.append((step, order_id))
        if step in self.failing or order_id in self.failing:
            raise CompensationNotCompleted(f"{step} failed with RuntimeError")
        return "DONE"


class FakeOutcomes:
    def __init__(self):
        self.failed = []

    def order_failed(self, order, reason):
        self.failed.append((order["orderId"], reason))


@pytest.fixture
def orders(aws):
    import boto3

    return OrdersRepository(boto3.client("dynamodb"), aws["table"].name)


@pytest.fixture
def world():
    return {
        "workflow": FakeWorkflow(),
        "compensations": FakeCompensations(),
        "outcomes": FakeOutcomes(),
    }


def place(orders, order_id, created_at=None, reconcile_after=900):
    created = created_at or domain.now()
    order, _ = orders.create(
        domain.new_order(order_id, "c1", "c1@example.com", QUOTE, created, reconcile_after)
    )
    return order


def reconcile(order_id, orders, world):
    return reconciling.reconcile_order(order_id, orders=orders, **world)


def test_a_pending_order_whose_execution_ended_is_compensated_failed_and_announced(
    orders, world, recorded_metrics
):
    place(orders, "o-aborted")
    world["workflow"].statuses["o-aborted"] = "ABORTED"

    assert reconcile("o-aborted", orders, world) == reconciling.RECONCILED

    assert world["compensations"].calls == [
        ("RefundPayment", "o-aborted"),
        ("ReleaseStock", "o-aborted"),
    ]
    assert world["outcomes"].failed == [("o-aborted", "CheckoutAborted")]
    stored = orders.find("o-aborted")
    assert stored["status"] == "FAILED" and stored["reason"] == "CheckoutAborted"
    assert not domain.is_due_for_reconciliation(stored)
    assert recorded_metrics() == {"OrdersReconciledFailed": 1}


def test_a_pending_order_that_never_got_an_execution_fails_as_not_started(orders, world):
    place(orders, "o-never-started")
    reconcile("o-never-started", orders, world)
    assert world["outcomes"].failed == [("o-never-started", "CheckoutNotStarted")]


def test_a_running_checkout_within_its_worst_case_is_left_alone(orders, world):
    place(orders, "o-running")
    world["workflow"].statuses["o-running"] = "RUNNING"

    assert reconcile("o-running", orders, world) == reconciling.STILL_RUNNING
    assert world["compensations"].calls == []
    assert orders.find("o-running")["status"] == "PENDING"


def test_a_checkout_running_past_its_worst_case_is_stopped_then_compensated(orders, world):
    place(orders, "o-overdue", created_at=PAST)
    world["workflow"].statuses["o-overdue"] = "RUNNING"

    reconcile("o-overdue", orders, world)

    assert world["workflow"].stopped == ["o-overdue"]
    assert world["outcomes"].failed == [("o-overdue", "CheckoutOverdue")]
    assert orders.find("o-overdue")["status"] == "FAILED"


def test_a_failed_order_its_checkout_settled_is_not_touched(orders, world):
    place(orders, "o-settled")
    orders.update_status("o-settled", "FAILED", "OutOfStock", domain.now())

    assert reconcile("o-settled", orders, world) == reconciling.SETTLED
    assert world["compensations"].calls == []


def test_a_flagged_failed_order_gets_its_compensations_again_and_keeps_its_reason(orders, world):
    place(orders, "o-flagged")
    orders.flag_for_reconciliation("o-flagged", "PaymentProviderUnavailable", domain.now())
    world["workflow"].statuses["o-flagged"] = "FAILED"

    assert reconcile("o-flagged", orders, world) == reconciling.RECONCILED

    assert len(world["compensations"].calls) == 2
    assert world["outcomes"].failed == []  # its checkout already announced it
    stored = orders.find("o-flagged")
    assert stored["status"] == "FAILED" and stored["reason"] == "PaymentProviderUnavailable"
    assert not domain.is_due_for_reconciliation(stored)


def test_a_compensation_that_fails_again_leaves_the_order_due(orders, world):
    place(orders, "o-stuck")
    world["compensations"].failing = {"ReleaseStock"}

    with pytest.raises(CompensationNotCompleted):
        reconcile("o-stuck", orders, world)

    stored = orders.find("o-stuck")
    assert stored["status"] == "PENDING" and domain.is_due_for_reconciliation(stored)
    assert world["outcomes"].failed == []


def test_a_confirmed_order_is_only_taken_off_the_due_list(orders, world):
    place(orders, "o-confirmed")
    orders.update_status("o-confirmed", "CONFIRMED", None, domain.now())

    assert reconcile("o-confirmed", orders, world) == reconciling.SETTLED
    assert world["compensations"].calls == []


def test_an_unknown_order_is_not_found(orders, world):
    assert reconcile("o-missing", orders, world) == reconciling.NOT_FOUND


def test_the_sweep_takes_only_due_orders_and_one_failure_does_not_stop_the_rest(orders, world):
    place(orders, "o-due-1", created_at=PAST)
    place(orders, "o-due-2", created_at=PAST)
    place(orders, "o-not-yet")  # due in 15 minutes
    world["compensations"].failing = {"o-due-1"}

    report = reconciling.sweep(orders=orders, limit=10, **world)

    assert report.errors == {"o-due-1": "CompensationNotCompleted"}
    assert report.outcomes == {"o-due-2": reconciling.RECONCILED}
    assert orders.find("o-due-1")["status"] == "PENDING"  # still due: the next sweep retries
    assert orders.find("o-not-yet")["status"] == "PENDING"


def test_the_sweep_finds_due_orders_in_every_shard(orders, world):
    ids = [f"o-{i}" for i in range(40)]
    for order_id in ids:
        place(orders, order_id, created_at=PAST)
    assert len({domain.reconcile_shard(i) for i in ids}) == domain.RECONCILE_SHARDS

    report = reconciling.sweep(orders=orders, limit=100, **world)

    assert set(report.outcomes) == set(ids)
    assert all(orders.find(i)["status"] == "FAILED" for i in ids)
