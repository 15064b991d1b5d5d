"""Fault experiments: under Locust's steady load, one fault kind at a stated rate for a stated
window, then what it did to the orders -- affected, retries, compensations, outcomes, how long
after the window the last affected order ended -- and whether anything was lost or left
inconsistent (`localrun.invariants`, after the run settles as AWS would: `localrun.soak.settle`).

The faults are the local run's (`LambdaService.inject`, `MotoSeams.inject`): each invocation of
a target during the window gets the fault with probability `rate` (seeded). Retry backoffs are
waited for in real time here, so the recovery times include them.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.run import (
    SKU,
    STOCK,
    Profile,
    locust_command,
    placed_orders,
    sign_in_customers,
)
from localrun.invariants import Violation, read_snapshot
from localrun.lambdas import Fault, FunctionErrorFault, ServiceErrorFault, TimeoutFault
from localrun.seams import FailedEntriesFault, IntegrationFault
from localrun.shop import Shop
from localrun.soak import StatusChanges, settle
from localrun.stack import LocalApp
from localrun.template import AppModel

# The checkout's forward Lambda tasks (the compensations' own faults are the soak's business).
FORWARD_TASKS = (
    "ReserveStockFunction",
    "ChargePaymentFunction",
    "CommitStockFunction",
    "CapturePaymentFunction",
    "UpdateOrderStatusFunction",
)
COMPENSATIONS = ("RefundPayment", "ReleaseStock")
PLANNED_INVOCATIONS = 2000  # per target: more than a window calls


@dataclass(frozen=True)
class Experiment:
    name: str
    targets: tuple[str, ...]  # function logical ids, or service integrations ("events:putEvents")
    fault: Fault | IntegrationFault
    rate: float  # share of the targets' invocations in the window that fail


EXPERIMENTS = (
    Experiment(
        "payment provider outage",
        ("ChargePaymentFunction",),
        FunctionErrorFault("PaymentProviderUnavailable", "the payment provider did not answer"),
        1.0,
    ),
    Experiment("Lambda service errors", FORWARD_TASKS, ServiceErrorFault("ServiceException"), 0.2),
    Experiment("Lambda timeouts", FORWARD_TASKS, TimeoutFault(), 0.2),
    Experiment(
        "DynamoDB throttling",
        FORWARD_TASKS,
        FunctionErrorFault("ProvisionedThroughputExceededException", "Rate exceeded"),
        0.2,
    ),
    Experiment("event bus failures", ("events:putEvents",), FailedEntriesFault(), 0.3),
)


@dataclass(frozen=True)
class Timing:
    before: float  # seconds of steady load before the window
    window: float
    after: float
    users: int


FULL_TIMING = Timing(before=5, window=15, after=10, users=4)
QUICK_TIMING = Timing(before=1, window=3, after=2, users=2)


@dataclass
class Outcome:
    experiment: Experiment
    timing: Timing
    started: float = 0.0  # epoch s: load began, the window opened and closed, load ended
    window_start: float = 0.0
    window_end: float = 0.0
    ended: float = 0.0
    placed: list[str] = field(default_factory=list)  # order ids Locust got a 202 for
    executions: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> execution
    affected: int = 0  # executions in which a task failed at least once
    faults_met: int = 0  # task failures in their histories
    retries: int = 0  # task attempts beyond each state's first
    compensations: int = 0  # compensation states entered
    outcomes: Counter[str] = field(default_factory=Counter)  # "CONFIRMED", "FAILED <reason>"
    recovered_after: float | None = None  # s from the window's end to the last affected end
    lost: int = 0  # placed orders with no execution or not terminal after settling
    target_calls: list[float] = field(default_factory=list)  # epoch s of each call of a target

    def calls_within(self, start: float, end: float) -> int:
        return sum(start <= at <= end for at in self.target_calls)


def inject(app: LocalApp, experiment: Experiment, rng: random.Random) -> int:
    """Plan the window's faults for each target; returns how many were planned."""
    planned = 0
    for target in experiment.targets:
        gap = 0
        for _ in range(PLANNED_INVOCATIONS):
            if rng.random() >= experiment.rate:
                gap += 1
                continue
            if ":" in target:
                app.seams.inject(target, experiment.fault, after=gap)  # type: ignore[arg-type]
            else:
                app.lambdas.inject(target, experiment.fault, after=gap)  # type: ignore[arg-type]
            gap, planned = 0, planned + 1
    return planned


def run_experiments(
    out_dir: Path,
    timing: Timing = FULL_TIMING,
    experiments: tuple[Experiment, ...] = EXPERIMENTS,
    *,
    quiet: bool = False,
    seed: int = 1,
    progress: Callable[[str], None] = print,
) -> tuple[list[Outcome], list[Violation]]:
    """Every experiment in turn on one application, then settle and check the invariants."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    outcomes = []
    with LocalApp(log_sink=lambda function, line: None).start() as app:
        shop = Shop(app)
        shop.seed_catalog()
        shop.set_stock(SKU, STOCK)
        shop.tap_events()
        app.lambdas.prewarm()  # cold starts are the load run's subject, not these experiments'
        for experiment in experiments:
            progress(
                f"faults: {experiment.name}, {experiment.rate:.0%} of "
                f"{', '.join(experiment.targets)} for {timing.window:.0f} s"
            )
            outcomes.append(_experiment(app, experiment, timing, rng, out_dir, quiet))
        progress("settling: executions ended, status changes announced, reconciler, mail")
        violations = settle(app, shop, {SKU: STOCK}, status_changes=StatusChanges(app))
        snapshot = read_snapshot(app)
        for outcome in outcomes:
            _read(app, outcome, snapshot.orders)
    return outcomes, violations


def _experiment(
    app: LocalApp,
    experiment: Experiment,
    timing: Timing,
    rng: random.Random,
    out_dir: Path,
    quiet: bool,
) -> Outcome:
    outcome = Outcome(experiment, timing)
    slug = "faults-" + experiment.name.replace(" ", "-").lower()
    profile = Profile(slug, timing.before + timing.window + timing.after, timing.users)
    id_tokens = sign_in_customers(app, out_dir, timing.users)
    command = locust_command(
        app.api_url, profile, out_dir, id_tokens, quiet=quiet, traffic="steady"
    )
    outcome.started = time.time()
    with subprocess.Popen(
        command, text=True, stdout=subprocess.DEVNULL if quiet else None
    ) as locust:
        time.sleep(timing.before)
        outcome.window_start = time.time()
        inject(app, experiment, rng)
        time.sleep(timing.window)
        app.lambdas.clear_faults()
        app.seams.clear_faults()
        outcome.window_end = time.time()
        if locust.wait(timeout=profile.seconds + 120) != 0:
            raise RuntimeError(f"locust exited {locust.returncode} in {experiment.name}")
    outcome.ended = time.time()
    outcome.placed = [row["orderId"] for row in placed_orders(out_dir, profile)]
    return outcome


def _read(app: LocalApp, outcome: Outcome, orders: dict[str, dict[str, Any]]) -> None:
    """The experiment's executions (started while its load ran) and what happened in them."""
    sfn = app.client("stepfunctions")
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=app.state_machine_arn
    ):
        for execution in page["executions"]:
            if outcome.started <= execution["startDate"].timestamp() <= outcome.ended:
                outcome.executions[execution["name"]] = execution
    last_affected = None
    for name, execution in outcome.executions.items():
        history = app.history(name)
        outcome.target_calls += [
            event["timestamp"].timestamp()
            for event in history
            if event["type"] == "TaskScheduled"
            and _target(event["taskScheduledEventDetails"], app.model) in outcome.experiment.targets
        ]
        types = Counter(event["type"] for event in history)
        failed = types["TaskFailed"] + types["TaskTimedOut"]
        outcome.faults_met += failed
        outcome.retries += types["TaskScheduled"] - types["TaskStateEntered"]
        outcome.compensations += sum(
            event["stateEnteredEventDetails"]["name"] in COMPENSATIONS
            for event in history
            if event["type"] == "TaskStateEntered"
        )
        order = orders.get(name, {})
        reason = order.get("reason")
        outcome.outcomes[" ".join(filter(None, (order.get("status", "MISSING"), reason)))] += 1
        if failed:
            outcome.affected += 1
            stopped = execution["stopDate"].timestamp()
            last_affected = max(last_affected or stopped, stopped)
    if last_affected is not None:
        outcome.recovered_after = max(0.0, last_affected - outcome.window_end)
    outcome.lost = sum(
        name not in outcome.executions
        or orders.get(name, {}).get("status") not in ("CONFIRMED", "FAILED")
        for name in outcome.placed
    )


def _target(details: dict[str, Any], model: AppModel) -> str:
    """The fault target a scheduled task calls: a function's logical id or "service:action"."""
    if details["resourceType"] == "lambda":
        # The model finds a function by its alias's ARN too (what the tasks call).
        return model.function(json.loads(details["parameters"])["FunctionName"]).logical_id
    return f"{details['resourceType']}:{details['resource']}"
