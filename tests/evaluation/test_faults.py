"""Fault experiments, CI-sized: a provider outage and Lambda timeouts under a little steady load.
Whatever the faults hit, nothing may be lost or left inconsistent."""

import pytest

from evaluation.faults import EXPERIMENTS, Timing, run_experiments

QUICK = Timing(before=1, window=4, after=2, users=2)
CHOSEN = ("payment provider outage", "Lambda timeouts")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    experiments = tuple(e for e in EXPERIMENTS if e.name in CHOSEN)
    return run_experiments(
        tmp_path_factory.mktemp("faults"),
        QUICK,
        experiments,
        quiet=True,
        progress=lambda message: None,
    )


def test_nothing_is_lost_or_left_inconsistent(outcomes):
    results, violations = outcomes
    assert violations == []
    for result in results:
        assert result.placed, f"{result.experiment.name}: Locust placed no order"
        assert result.lost == 0
        assert set(result.placed) <= set(result.executions)
        assert sum(result.outcomes.values()) == len(result.executions)
        assert {o.split()[0] for o in result.outcomes} <= {"CONFIRMED", "FAILED"}


def test_a_full_provider_outage_fails_charges_and_only_for_that_reason(outcomes):
    results, _ = outcomes
    outage = next(r for r in results if r.experiment.name == "payment provider outage")
    # Every charge inside the window fails (half a second off each edge: the faults are
    # planned just after it opens and cleared just before it closes).
    assert len(outage.target_calls) >= len(outage.executions)  # every order is charged
    charges = outage.calls_within(outage.window_start + 0.5, outage.window_end - 0.5)
    assert outage.faults_met >= charges
    if charges:
        assert outage.affected >= 1 and outage.recovered_after is not None
    failed = {o for o in outage.outcomes if o.startswith("FAILED")}
    assert failed <= {"FAILED PaymentProviderUnavailable"}
    if failed:  # a charge that never succeeded is undone: its stock released
        assert outage.compensations >= outage.outcomes["FAILED PaymentProviderUnavailable"]


def test_every_failed_task_attempt_is_retried_or_ends_its_order(outcomes):
    results, _ = outcomes
    for result in results:
        assert result.retries >= result.faults_met - result.affected
