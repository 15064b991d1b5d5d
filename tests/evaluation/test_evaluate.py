"""`python -m evaluation --quick`: the whole evaluation, CI-sized (seconds of load per profile).

It asserts what the run counted against what the ASL and the functions say one happy-path
order does, and that the report and its plots are written. No timing is asserted: the figures
describe this machine."""

import csv
import json

import pytest

from evaluation.cost import TARGET, PriceTable, Variant, cost_per_order, total
from evaluation.report import render
from evaluation.run import QUICK, measure
from localrun.stack import LocalApp

CHECKOUT_TASKS = (
    "QuotePricesFunction",
    "ReserveStockFunction",
    "ChargePaymentFunction",
    "CommitStockFunction",
    "CapturePaymentFunction",
    "UpdateOrderStatusFunction",
    "SendNotificationFunction",
)


def happy_route(definition: str) -> list[dict]:
    """The states the ASL enters when every Task succeeds."""
    states = json.loads(definition)
    route, name = [], states["StartAt"]
    while name:
        state = states["States"][name]
        route.append(state)
        name = None if state.get("End") or state["Type"] in ("Succeed", "Fail") else state["Next"]
    return route


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluation")
    measured = measure(out / "raw", QUICK, quiet=True, progress=lambda message: None)
    doc = out / "docs" / "evaluation.md"
    doc.parent.mkdir()
    doc.write_text(render(measured, PriceTable.load(), out / "docs" / "evaluation", doc, "test"))
    return measured, out


@pytest.fixture(scope="module")
def route():
    return happy_route(LocalApp().model.state_machine().definition)


def test_every_placed_order_is_read_back_from_its_execution(run, route):
    measured, out = run
    orders = measured.orders
    assert orders, "Locust placed no order"
    assert {o.profile for o in orders} == {p.name for p in QUICK}
    assert all(o.status == "SUCCEEDED" for o in orders)
    assert {o.transitions for o in orders} == {len(route)}
    assert all(o.sent_at < o.started <= o.stopped for o in orders)
    with (out / "raw" / "orders.csv").open() as file:
        assert len(list(csv.DictReader(file))) == len(orders)


def test_counts_per_order_are_what_one_happy_path_order_does(run, route):
    measured, _ = run
    n = len(measured.orders)
    invoked = {f: 0 for f in CHECKOUT_TASKS}
    for invocation in measured.invocations:
        if invocation.function in invoked:
            invoked[invocation.function] += 1
    # Once per order, and once more per failed invocation (a timeout on a busy machine, say)
    # that the state machine retried.
    assert invoked == {f: n + measured.errors[f] for f in CHECKOUT_TASKS}, measured.errors
    counts = measured.counts_per_order()
    put_events = sum("events:putEvents" in state.get("Resource", "") for state in route)
    assert counts.events == put_events
    assert counts.emails == 1
    assert counts.api_requests >= 1  # its POST (a customer stopped at the end may not GET)
    assert counts.dynamodb_write_units >= len(CHECKOUT_TASKS)  # every task writes
    assert measured.emf["OrdersPlaced"] == measured.emf["OrdersConfirmed"] == n


def test_the_variants_rank_as_their_prices_say_on_the_same_counts(run):
    measured, _ = run
    counts, prices = measured.counts_per_order(), PriceTable.load()

    def cost(**kwargs):
        return total(cost_per_order(counts, prices, Variant(**kwargs)))

    assert cost(workflow="STANDARD") > cost(workflow="EXPRESS")
    assert cost(architecture="x86_64") > cost(architecture="arm64")
    assert cost(api="REST") > cost(api="HTTP")
    assert cost(email=True) - cost() == pytest.approx(counts.emails * 0.0001)
    assert total(cost_per_order(counts, prices, TARGET)) == cost()


def test_the_report_and_its_plots_are_written(run):
    _, out = run
    doc = (out / "docs" / "evaluation.md").read_text()
    for heading in ("## Load", "## Executions", "## Cost per order", "## Monthly cost", "claims"):
        assert heading in doc
    for plot in ("latency", "throughput", "monthly-cost", "cost-per-order"):
        png = out / "docs" / "evaluation" / f"{plot}.png"
        assert png.read_bytes().startswith(b"\x89PNG"), plot
        assert f"(evaluation/{plot}.png)" in doc
    for profile in QUICK:
        assert (out / "raw" / f"{profile.name}_stats.csv").is_file()
