"""The soak, CI-sized: orders placed in concurrent bursts while a fifth of the checkout's task
invocations meet a fault of some kind; once the run has settled (the reconciler included) every
order is terminal and no invariant is violated. `python -m localrun soak` runs the full one
(1,000 orders; its figures are in the README)."""

import random
from collections import Counter

import pytest

from localrun import soak
from localrun.__main__ import main

ORDERS, FAULT_RATE, SEED = 60, 0.2, 12


def test_a_soak_with_a_fifth_of_the_task_invocations_faulted_ends_every_order_consistently(
    app, shop
):
    report = soak.run_soak(app, shop, orders=ORDERS, fault_rate=FAULT_RATE, seed=SEED)

    print("\n".join(report.lines()))
    assert report.placed == Counter({202: ORDERS})
    assert sum(report.outcomes.values()) == ORDERS
    assert {outcome.split()[0] for outcome in report.outcomes} <= {"CONFIRMED", "FAILED"}
    assert report.violations == []
    assert report.ok
    # The faults were the ones asked for: about a fifth of the invocations, of mixed kinds,
    # among them those that run the handler (crash after its write, duplicate delivery).
    invocations = sum(report.task_invocations.values())
    assert 0.12 <= sum(report.faults.values()) / invocations <= 0.28
    assert {"crash-after-write", "duplicate-delivery", "timeout"} <= set(report.faults)
    assert len(report.faults) >= 6


def test_the_same_seed_draws_the_same_carts_and_faults():
    def drawn(seed):
        plan = soak.FaultPlan(seed, FAULT_RATE, capacity=200)
        return soak.soak_orders(50, random.Random(seed)), plan.kinds

    assert drawn(SEED) == drawn(SEED)
    assert drawn(SEED) != drawn(SEED + 1)
    kinds = [kind for plan in drawn(SEED)[1].values() for kind in plan]
    assert 0.15 <= sum(kind is not None for kind in kinds) / len(kinds) <= 0.25


def test_faults_met_are_the_first_entries_of_each_targets_plan():
    plan = soak.FaultPlan(SEED, 0.5, capacity=20)
    plan.kinds = {"ReserveStockFunction": ["timeout", None, "duplicate-delivery", "timeout"]}

    met = plan.injected(Counter({"ReserveStockFunction": 3, "ChargePaymentFunction": 7}))

    assert met == Counter({"timeout": 1, "duplicate-delivery": 1})


def test_the_soak_command_runs_the_asked_size_and_refuses_a_rate_past_1(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(soak, "run", lambda app, **kwargs: ran.append(kwargs) or 0)

    assert main(["soak", "--orders", "30", "--fault-rate", "0.35", "--seed", "7"]) == 0
    [arguments] = ran
    assert (arguments["orders"], arguments["fault_rate"], arguments["seed"]) == (30, 0.35, 7)
    with pytest.raises(SystemExit):
        main(["soak", "--fault-rate", "1.5"])
    assert "0 to 1" in capsys.readouterr().err
