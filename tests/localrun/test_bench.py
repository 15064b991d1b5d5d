"""`python -m localrun bench`: its measurements run end to end with tiny counts and report what
the ASL says they should. No timing is asserted: a benchmark measures, it does not judge."""

import json

import pytest

from localrun import bench
from localrun.__main__ import main
from localrun.stack import LocalApp


def happy_route(definition: str) -> list[str]:
    """The states the ASL enters when every Task succeeds: Next from StartAt to the end."""
    states = json.loads(definition)
    route, name = [], states["StartAt"]
    while name:
        route.append(name)
        state = states["States"][name]
        name = None if state.get("End") or state["Type"] in ("Succeed", "Fail") else state["Next"]
    return route


@pytest.fixture(scope="module")
def report():
    with LocalApp(log_sink=lambda function, line: None).start(virtual_time=True) as app:
        measured = bench.measure(
            app,
            cold_samples=1,
            warmup_orders=1,
            latency_orders=2,
            happy_runs=2,
            levels=(1, 2),
            orders_per_level=2,
        )
        definition = app.model.state_machine().definition
        functions = [f.logical_id for f in app.model.functions]
    return measured, definition, functions


def test_every_order_ends_as_its_route_says(report):
    measured, _, _ = report
    assert measured.unexpected == 0
    assert [c.status for c in measured.latency.orders] == ["CONFIRMED", "CONFIRMED"]
    assert [(level.concurrency, level.confirmed) for level in measured.levels] == [(1, 2), (2, 2)]


def test_happy_path_transitions_are_the_states_the_asl_enters_on_success(report):
    measured, definition, _ = report
    expected = happy_route(definition)
    assert expected[-1] == "CheckoutSucceeded"
    assert [run.states for run in measured.happy] == [expected, expected]


def test_failed_routes_are_measured_and_end_in_checkout_failed(report):
    measured, _, _ = report
    others = {run.route: run for run in measured.routes[len(measured.happy) :]}
    assert set(others) == {"declined card", "out of stock"}
    assert others["declined card"].states[-1] == "CheckoutFailed"
    assert "RefundPayment" in others["declined card"].states
    assert others["out of stock"].states[-1] == "CheckoutFailed"
    assert "ChargePayment" not in others["out of stock"].states


def test_instrument_sees_every_call_of_each_execution(report):
    """One Lambda invoke per lambda:invoke Task entered, one putEvents per events Task."""
    measured, definition, _ = report
    tasks = json.loads(definition)["States"]
    for run in measured.routes:
        resources = [tasks[name].get("Resource", "") for name in run.states]
        invokes = sum(r.endswith(":lambda:invoke") for r in resources)
        puts = sum(r.endswith(":events:putEvents") for r in resources)
        assert (run.timing.call_count("lambda"), run.timing.call_count("events")) == (invokes, puts)
        assert run.timing.wall_ms > 0


def test_cold_inits_cover_the_baseline_and_every_function(report):
    measured, _, functions = report
    assert list(measured.inits) == [bench.BASELINE.logical_id, *functions]
    assert all(len(samples) == 1 for samples in measured.inits.values())


def test_report_prints_every_section_with_its_target(report):
    measured, _, functions = report
    text = "\n".join(bench.render(measured))
    for heading in ("1. Warm happy-path", "2. Throughput", "3. State transitions", "4. Orches"):
        assert heading in text
    assert "5. Cold init" in text and "Targets:" in text
    assert "target p50 <= 150 ms" in text and "target <= 2 ms" in text
    assert text.count("target <= 1.5x") == len(functions)
    assert "cores" in text and "moto 5.2.5" in text


def test_cli_bench_runs_the_bench_on_the_application(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(bench, "run", lambda app, **kwargs: ran.append(app) or 0)
    assert main(["bench"]) == 0
    [app] = ran
    assert isinstance(app, LocalApp) and not app.started  # bench starts it itself


def test_cold_init_ratio_pairs_each_round_with_its_own_baseline():
    # Round 2 ran in a slow spell: both sides doubled, and the pairing cancels it.
    assert bench.paired_ratio([120.0, 240.0, 126.0], [100.0, 200.0, 100.0]) == pytest.approx(1.2)
    with pytest.raises(ValueError):
        bench.paired_ratio([1.0], [1.0, 2.0])
