"""Each invariant alone: a consistent run passes, and each kind of damage is named."""

import copy
from collections import Counter

import pytest

from localrun.invariants import Snapshot, check

ORDER = {"orderId": "o1", "amountCents": 2598, "items": [{"sku": "S", "quantity": 2}]}


def consistent() -> Snapshot:
    """o1 confirmed (2 x S), o2 failed (declined: stock released), o3 still running."""
    return Snapshot(
        orders={
            "o1": {**ORDER, "status": "CONFIRMED"},
            "o2": {**ORDER, "orderId": "o2", "status": "FAILED", "reason": "PaymentDeclined"},
            "o3": {**ORDER, "orderId": "o3", "status": "PENDING"},
        },
        payments={
            "o1": {"status": "CAPTURED", "amountCents": 2598, "providerPaymentId": "ch1"},
            "o2": {"status": "DECLINED", "amountCents": 2598},
        },
        charges={"ch1": {"chargeId": "ch1", "state": "SUCCEEDED"}},
        reservations={
            "o1": {"status": "COMMITTED", "items": [{"sku": "S", "quantity": 2}]},
            "o2": {"status": "RELEASED", "items": [{"sku": "S", "quantity": 2}]},
            "o3": {"status": "RESERVED", "items": [{"sku": "S", "quantity": 2}]},
        },
        stock={"S": 6},
        executions={"o1": "SUCCEEDED", "o2": "FAILED", "o3": "RUNNING"},
        emails=[{"subject": "Your order o1 is confirmed"}, {"subject": "We could not complete o2"}],
    )


SEEDED = {"S": 10}


def rules(snapshot: Snapshot, seeded=SEEDED) -> set[tuple[str, str]]:
    return {(v.rule, v.subject) for v in check(snapshot, seeded)}


def test_a_consistent_run_violates_nothing():
    assert check(consistent(), SEEDED) == []


def test_a_pending_order_whose_execution_ended_is_stuck():
    s = consistent()
    s.executions["o3"] = "FAILED"
    assert rules(s) == {("terminal", "o3")}


def test_a_confirmed_order_without_its_money_or_stock():
    s = consistent()
    s.payments["o1"]["status"] = "REFUNDED"
    s.reservations["o1"]["status"] = "RELEASED"
    s.stock["S"] = 8  # the release gave its stock back
    assert rules(s) == {("confirmed-paid", "o1"), ("confirmed-committed", "o1")}


def test_a_confirmed_order_paid_the_wrong_amount_or_committed_other_lines():
    s = consistent()
    s.payments["o1"]["amountCents"] = 1
    s.reservations["o1"]["items"] = [{"sku": "S", "quantity": 1}, {"sku": "S", "quantity": 1}]
    assert rules(s) == {("confirmed-paid", "o1")}  # the same lines, merged, are fine


def test_a_confirmed_order_whose_charge_was_refunded_at_the_provider():
    s = consistent()
    s.charges["ch1"]["refundId"] = "re1"
    assert rules(s) == {("confirmed-paid", "o1")}


@pytest.mark.parametrize(
    "payment",
    [
        {"status": "CAPTURED", "amountCents": 2598},
        {"status": "AUTHORIZED", "amountCents": 2598},  # held on the card, never cancelled
        {"status": "PENDING", "amountCents": 2598},
        {"status": "CANCELLED", "providerPaymentId": "late"},  # a late authorization, not released
    ],
)
def test_a_failed_order_that_kept_money(payment):
    s = consistent()
    s.payments["o2"] = payment
    assert rules(s) == {("failed-no-money", "o2")}


def test_a_failed_order_whose_late_authorization_was_cancelled_kept_nothing():
    s = consistent()
    s.payments["o2"] = {
        "status": "CANCELLED",
        "providerPaymentId": "late",
        "authorizationCancelledAt": "2026-12-02T04:00:00.000+00:00",
    }
    assert check(s, SEEDED) == []


def test_a_failed_order_still_holding_stock():
    s = consistent()
    s.reservations["o2"]["status"] = "RESERVED"
    s.stock["S"] = 4
    assert rules(s) == {("failed-released", "o2")}


def test_stock_that_does_not_add_up_or_goes_negative():
    s = consistent()
    s.stock["S"] = -1
    assert rules(s) == {("stock-not-negative", "S"), ("stock-adds-up", "S")}


def test_a_second_email_for_one_order():
    s = consistent()
    s.emails.append(copy.deepcopy(s.emails[0]))
    assert rules(s) == {("one-email", "o1")}


def test_with_the_events_known_each_outcome_event_gets_exactly_one_email():
    s = consistent()
    s.outcome_events = Counter({"o1": 1, "o2": 1})
    assert check(s, SEEDED) == []
    s.emails = s.emails[:1]  # o2's email never went out
    assert rules(s) == {("one-email", "o2")}
    s.outcome_events = Counter({"o1": 1})  # o2 was never announced: no email is right
    assert check(s, SEEDED) == []
