"""One evaluation run: the local application under Locust's profiles, metered, then read back
the way CloudWatch would see it (function logs, execution histories) into a `Measured`.

Locust runs in its own process (it monkey-patches the standard library with gevent, which the
runner's threads and worker processes must not get), against the application this process
serves on loopback.
"""

from __future__ import annotations

import csv
import math
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.cost import OrderCounts, express_gb_seconds, express_memory_mb, lambda_gb_seconds
from evaluation.meter import AwsMeter, FunctionLogs, Invocation, largest_items
from localrun.shop import Shop
from localrun.stack import LocalApp

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
STOCK = 10_000_000
SKU = "SKU-TSHIRT-BLK-M"  # the locustfile's cart
# X-Ray's default sampling rule records 1 request a second and 5% of the rest: at volume, 5%.
XRAY_SAMPLED_SHARE = 0.05
ORDER_COLUMNS = ["orderId", "sentAt", "profile"]


@dataclass(frozen=True)
class Profile:
    name: str  # steady | bursts | ramp (the locustfile's --traffic)
    seconds: float
    peak_users: int


FULL = (Profile("steady", 60, 6), Profile("bursts", 60, 12), Profile("ramp", 120, 24))
QUICK = (Profile("steady", 4, 2), Profile("bursts", 4, 3), Profile("ramp", 4, 3))


@dataclass(frozen=True)
class Order:
    """One checkout execution, with the client's POST time when Locust recorded it."""

    order_id: str
    profile: str  # the traffic profile that placed it ("" when the client did not record it)
    sent_at: float | None  # epoch s, the client's first POST
    status: str  # the execution's: SUCCEEDED, FAILED, ...
    started: float  # epoch s, the execution's start and stop (its history)
    stopped: float
    transitions: int  # states entered
    largest_state_bytes: int

    @property
    def end_to_end_ms(self) -> float:
        return (self.stopped - self.sent_at) * 1000 if self.sent_at is not None else math.nan

    @property
    def execution_ms(self) -> float:
        return (self.stopped - self.started) * 1000


@dataclass
class Measured:
    profiles: tuple[Profile, ...]
    orders: list[Order]
    invocations: list[Invocation]
    errors: Counter[str]
    log_bytes: Counter[str]
    emf: Counter[str]
    aws: dict[str, Any]  # request units, events, SQS requests, operations, largest items
    api_requests: int
    emails: int
    definition_bytes: int
    locust_dir: Path
    started: float
    seconds: float = 0.0
    load_average: float = 0.0  # this machine's 1-minute load average as the run began
    users: dict[str, list[tuple[float, int]]] = field(default_factory=dict)  # profile: (t, users)

    def counts_per_order(self) -> OrderCounts:
        """The run's usage divided by its orders: the cost model's input."""
        n = len(self.orders)
        memory = express_memory_mb(
            self.definition_bytes, max((o.largest_state_bytes for o in self.orders), default=0)
        )
        return OrderCounts(
            transitions=sum(o.transitions for o in self.orders) / n,
            express_gb_seconds=sum(express_gb_seconds(o.execution_ms, memory) for o in self.orders)
            / n,
            lambda_invocations=len(self.invocations) / n,
            lambda_gb_seconds=sum(
                lambda_gb_seconds(i.billed_with_init_ms, i.memory_mb) for i in self.invocations
            )
            / n,
            dynamodb_write_units=self.aws["write_units"] / n,
            dynamodb_read_units=self.aws["read_units"] / n,
            events=self.aws["events"] / n,
            api_requests=self.api_requests / n,
            sqs_requests=self.aws["sqs_requests"] / n,
            emails=self.emails / n,
            log_bytes=sum(self.log_bytes.values()) / n,
            traces=self.api_requests * XRAY_SAMPLED_SHARE / n,
        )


def sign_in_customers(app: LocalApp, out_dir: Path, customers: int) -> Path:
    """`customers` accounts signed in to the local user pool; their ID tokens, one per line, in
    a file for Locust's `--id-tokens`."""
    id_tokens = out_dir / "id-tokens.txt"
    tokens = [app.sign_in(f"load-{n}@example.com")["IdToken"] for n in range(customers)]
    id_tokens.write_text("".join(token + "\n" for token in tokens))
    return id_tokens


def run_locust(
    host: str, profile: Profile, out_dir: Path, id_tokens: Path, *, quiet: bool, seed: int = 1
) -> subprocess.CompletedProcess[str]:
    """Locust headless, one profile; raw results under `out_dir` (<profile>_stats*.csv and the
    placed orders in <profile>-orders.csv). Its periodic stats table is the run's progress."""
    command = locust_command(host, profile, out_dir, id_tokens, quiet=quiet, seed=seed)
    return subprocess.run(
        command, check=True, text=True, capture_output=quiet, timeout=profile.seconds + 180
    )


def locust_command(
    host: str,
    profile: Profile,
    out_dir: Path,
    id_tokens: Path,
    *,
    quiet: bool,
    seed: int = 1,
    traffic: str | None = None,
) -> list[str]:
    """The Locust command line for `profile` (its name is the traffic pattern unless
    `traffic` says otherwise); starts the profile's orders CSV with its header."""
    orders_csv = out_dir / f"{profile.name}-orders.csv"
    with orders_csv.open("w", newline="") as file:
        csv.writer(file).writerow(ORDER_COLUMNS)
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--traffic",
        traffic or profile.name,
        "--traffic-seconds",
        str(profile.seconds),
        "--peak-users",
        str(profile.peak_users),
        "--traffic-seed",
        str(seed),
        "--orders-csv",
        str(orders_csv),
        "--id-tokens",
        str(id_tokens),
        "--csv",
        str(out_dir / profile.name),
        "--csv-full-history",
        "--run-time",
        f"{int(profile.seconds) + 60}s",
        "--stop-timeout",
        "60",  # customers finish following their order
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
        *(["--only-summary"] if quiet else []),
    ]


def placed_orders(out_dir: Path, profile: Profile) -> list[dict[str, str]]:
    with (out_dir / f"{profile.name}-orders.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def api_requests(out_dir: Path, profile: Profile) -> int:
    """Every request Locust sent in the profile (its `Aggregated` row)."""
    with (out_dir / f"{profile.name}_stats.csv").open(newline="") as file:
        for row in csv.DictReader(file):
            if row["Name"] == "Aggregated":
                return int(row["Request Count"])
    return 0


def users_over_time(out_dir: Path, profile: Profile) -> list[tuple[float, int]]:
    with (out_dir / f"{profile.name}_stats_history.csv").open(newline="") as file:
        return [
            (float(row["Timestamp"]), int(row["User Count"]))
            for row in csv.DictReader(file)
            if row["Name"] == "Aggregated"
        ]


def measure(
    out_dir: Path,
    profiles: tuple[Profile, ...] = FULL,
    *,
    quiet: bool = False,
    progress: Callable[[str], None] = print,
) -> Measured:
    """Bring the application up, run each profile through Locust, settle, read it all back."""
    out_dir.mkdir(parents=True, exist_ok=True)
    load_average = os.getloadavg()[0]
    logs = FunctionLogs()
    started = time.monotonic()
    with AwsMeter() as meter, LocalApp(log_sink=logs).start(virtual_time=True) as app:
        shop = Shop(app)
        shop.seed_catalog()
        shop.set_stock(SKU, STOCK)
        # One warm environment per function, as after earlier traffic: without it the first
        # seconds are every function's first init at once on a few cores, not steady load.
        # Cold starts from scaling out beyond it are measured.
        app.lambdas.prewarm()
        id_tokens = sign_in_customers(app, out_dir, max(p.peak_users for p in profiles))
        logs.capturing = meter.metering = True
        since = time.time()
        rows, requests, users = [], 0, {}
        for profile in profiles:
            progress(f"load: {profile.name}, {profile.seconds:.0f} s, {profile.peak_users} users")
            run_locust(app.api_url, profile, out_dir, id_tokens, quiet=quiet)
            rows += [{**row, "profile": profile.name} for row in placed_orders(out_dir, profile)]
            requests += api_requests(out_dir, profile)
            users[profile.name] = users_over_time(out_dir, profile)
        progress("settling: every execution ended, every notification sent")
        _settle(app)
        logs.capturing = meter.metering = False
        orders = _orders(app, {row["orderId"]: row for row in rows}, progress)
        tables = [t.name for t in app.model.tables]
        largest = largest_items(app.client("dynamodb"), tables)
        usage = meter.usage
        aws = {
            "write_units": usage.write_units(largest),
            "write_units_by_table": usage.write_units_by_table(largest),
            "read_units": usage.read_units(largest),
            "events": usage.events,
            "sqs_requests": usage.sqs_billed_requests,
            "operations": dict(usage.operations),
            "largest_item_bytes": largest,
        }
        emails = len(app.sent_emails())  # a fresh app: every email is the run's
        definition_bytes = len(app.model.state_machine().definition.encode())
    measured = Measured(
        profiles,
        orders,
        list(logs.invocations),
        logs.errors,
        logs.log_bytes,
        logs.emf_totals(),
        aws,
        requests,
        emails,
        definition_bytes,
        out_dir,
        since,
        users=users,
    )
    measured.seconds = time.monotonic() - started
    measured.load_average = load_average
    _write_raw(measured, out_dir)
    return measured


def _settle(app: LocalApp, timeout: float = 120) -> None:
    sfn, sqs = app.client("stepfunctions"), app.client("sqs")
    deadline = time.monotonic() + timeout
    [notifications] = [q for q in app.model.queues if q.logical_id == "NotificationsQueue"]
    while time.monotonic() < deadline:
        running = sfn.list_executions(
            stateMachineArn=app.state_machine_arn, statusFilter="RUNNING"
        )["executions"]
        queued = sqs.get_queue_attributes(
            QueueUrl=notifications.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if not running and not any(int(n) for n in queued.values()):
            return
        time.sleep(0.2)
    raise TimeoutError("the run did not settle: executions running or notifications queued")


def _orders(app: LocalApp, placed: dict[str, dict[str, str]], progress: Callable) -> list[Order]:
    """Every execution of the run (the orders: one execution each, named after the order), with
    what Locust recorded of its POST. Counting executions rather than Locust's rows keeps an
    order whose customer was stopped mid-request."""
    sfn = app.client("stepfunctions")
    executions = [
        execution
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=app.state_machine_arn
        )
        for execution in page["executions"]
    ]
    progress(f"reading {len(executions)} executions' histories and the tables")
    orders = []
    for execution in executions:
        name = execution["name"]
        history = app.history(name)
        state_bytes = [
            len(details.get("input") or details.get("output") or "")
            for event in history
            for key, details in event.items()
            if key.endswith("EventDetails") and isinstance(details, dict)
        ]
        row = placed.get(name, {})
        orders.append(
            Order(
                name,
                row.get("profile", ""),
                float(row["sentAt"]) if row else None,
                execution["status"],
                execution["startDate"].timestamp(),
                execution["stopDate"].timestamp(),
                sum(e["type"].endswith("StateEntered") for e in history),
                max(state_bytes, default=0),
            )
        )
    return sorted(orders, key=lambda o: o.started)


def _write_raw(measured: Measured, out_dir: Path) -> None:
    """The per-order and per-invocation data behind every figure, beside Locust's CSVs."""
    with (out_dir / "orders.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["orderId", "profile", "status", "endToEndMs", "executionMs", "transitions"]
        )
        for o in measured.orders:
            end_to_end, execution = f"{o.end_to_end_ms:.1f}", f"{o.execution_ms:.1f}"
            writer.writerow([o.order_id, o.profile, o.status, end_to_end, execution, o.transitions])
    with (out_dir / "invocations.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        columns = ["function", "at", "durationMs", "billedMs", "memoryMb", "usedMb", "initMs"]
        writer.writerow(columns)
        for i in measured.invocations:
            init = i.init_ms if i.init_ms is not None else ""
            row = [i.function, f"{i.at:.3f}", i.duration_ms, i.billed_ms, i.memory_mb]
            writer.writerow([*row, i.max_memory_used_mb, init])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
