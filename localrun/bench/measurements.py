"""What the bench measures, on a started app: the client's side (latency, throughput), the
interpreter's (states entered, overhead, through `instrument.Instrument`) and cold inits."""

from __future__ import annotations

import datetime
import math
import os
import platform
import resource
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import moto

from localrun.bench.instrument import ExecutionTiming, Instrument
from localrun.lambdas import LambdaService
from localrun.shop import Shop
from localrun.stack import LocalApp
from localrun.template import ACCOUNT_ID, REGION, Function

POLL_SECONDS = 0.005  # the client's sleep between two GET /orders/{id}
TERMINAL = {"CONFIRMED", "FAILED"}
HAPPY_SKU, SCARCE_SKU = "SKU-TSHIRT-BLK-M", "SKU-POSTER-LTD-A2"
# route: (payment token, items, the order's expected final status)
ROUTES = {
    "happy path": ("pm_card_visa", [{"sku": HAPPY_SKU, "quantity": 1}], "CONFIRMED"),
    "declined card": ("pm_card_chargeCustomerFail", [{"sku": HAPPY_SKU, "quantity": 1}], "FAILED"),
    "out of stock": ("pm_card_visa", [{"sku": SCARCE_SKU, "quantity": 2}], "FAILED"),
}
BASELINE = Function(  # import boto3; dynamodb = boto3.resource("dynamodb"); a no-op handler
    stack="bench",
    logical_id="BareBoto3Handler",
    name="bench-BareBoto3Handler",
    arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:bench-BareBoto3Handler",
    handler="bare.handler",
    code_dir=Path(__file__).with_name("baseline"),
    runtime="python3.12",
    timeout=30,
    memory_size=256,
    environment={},
    reserved_concurrency=None,
    sqs_event_sources=[],
)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p95 of 60 samples is the 57th smallest); nan when empty."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1] if ordered else math.nan


def process_cpu_seconds() -> float:
    """CPU used so far by this process: moto, the interpreter, the runner's servers, the bench."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- the client's side


@dataclass
class Checkout:
    status: str  # the final status read through the API, or "HTTP 4xx" / "TIMEOUT"
    ms: float  # POST sent -> final status read
    post_ms: float  # POST sent -> 202 received


def checkout(shop: Shop, timeout: float = 60.0) -> Checkout:
    """Place a happy-path order and GET it every POLL_SECONDS until it is CONFIRMED/FAILED."""
    token, items, _ = ROUTES["happy path"]
    started = time.perf_counter()
    placed = shop.place_order(items, token, email="bench@example.com")
    post_ms = (time.perf_counter() - started) * 1000
    if placed.status != 202:
        return Checkout(f"HTTP {placed.status}", post_ms, post_ms)
    while (status := shop.order(placed.body["orderId"])["status"]) not in TERMINAL:
        if time.perf_counter() - started > timeout:
            status = "TIMEOUT"
            break
        time.sleep(POLL_SECONDS)
    return Checkout(status, (time.perf_counter() - started) * 1000, post_ms)


def checkouts(shop: Shop, count: int, concurrency: int) -> tuple[list[Checkout], float]:
    """`count` orders by `concurrency` client threads; returns them and the elapsed seconds."""
    tickets = iter(range(count))
    lock = threading.Lock()
    done: list[Checkout] = []

    def client() -> None:
        while True:
            with lock:
                if next(tickets, None) is None:
                    return
            result = checkout(shop)
            with lock:
                done.append(result)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, time.perf_counter() - started


@dataclass
class Latency:
    orders: list[Checkout]
    handler_p50_ms: dict[str, float]  # warm Duration per function over the same orders

    @property
    def confirmed_ms(self) -> list[float]:
        return [c.ms for c in self.orders if c.status == "CONFIRMED"]

    @property
    def unexpected(self) -> int:
        return sum(c.status != "CONFIRMED" for c in self.orders)


def measure_latency(app: LocalApp, shop: Shop, count: int) -> Latency:
    first = len(app.lambdas.records)
    done, _ = checkouts(shop, count, concurrency=1)
    durations: dict[str, list[float]] = {}
    for record in list(app.lambdas.records)[first:]:
        durations.setdefault(record.function, []).append(record.duration_ms)
    return Latency(done, {name: statistics.median(ms) for name, ms in durations.items()})


@dataclass
class Level:
    concurrency: int
    orders: int
    confirmed: int
    elapsed_s: float
    p50_ms: float
    cpu_ms_per_order: float  # this process's CPU (moto + interpreter + runner) per order
    cold_starts: int  # during the measured orders

    @property
    def orders_per_s(self) -> float:
        return self.confirmed / self.elapsed_s


def measure_throughput(app: LocalApp, shop: Shop, concurrency: int, orders: int) -> Level:
    """Warm up with rounds of `concurrency` orders until one starts no new environment (at
    most 3 rounds: pools grow to what the level needs), then time `orders` orders."""
    for _ in range(3):
        first = len(app.lambdas.records)
        checkouts(shop, concurrency, concurrency)
        if not any(r.cold_start for r in list(app.lambdas.records)[first:]):
            break
    first, cpu = len(app.lambdas.records), process_cpu_seconds()
    done, elapsed = checkouts(shop, orders, concurrency)
    cpu = process_cpu_seconds() - cpu
    return Level(
        concurrency,
        orders,
        sum(c.status == "CONFIRMED" for c in done),
        elapsed,
        percentile([c.ms for c in done if c.status == "CONFIRMED"], 50),
        cpu * 1000 / orders,
        sum(r.cold_start for r in list(app.lambdas.records)[first:]),
    )


# --------------------------------------------------------------------------- the interpreter's side


@dataclass
class RouteRun:
    route: str
    status: str  # the order's final status
    states: list[str]  # the states the execution entered (= billed transitions)
    timing: ExecutionTiming

    @property
    def overhead_ms_per_transition(self) -> float:
        return self.timing.interpreter_ms / len(self.states)


def run_route(shop: Shop, instrument: Instrument, route: str) -> RouteRun:
    """One order, waited for through the instrument: no polling load while the interpreter runs."""
    token, items, _ = ROUTES[route]
    placed = shop.place_order(items, token, email="bench@example.com")
    if placed.status != 202:
        raise RuntimeError(f"{route}: HTTP {placed.status} {placed.body}")
    order_id = placed.body["orderId"]
    timing = instrument.wait(order_id)
    states = [step.name for step in shop.route(order_id)]
    return RouteRun(route, shop.order(order_id)["status"], states, timing)


def measure_routes(shop: Shop, happy_runs: int) -> list[RouteRun]:
    """`happy_runs` happy paths, then one order of every other route, one at a time."""
    with Instrument() as instrument:
        runs = [run_route(shop, instrument, "happy path") for _ in range(happy_runs)]
        return runs + [run_route(shop, instrument, r) for r in ROUTES if r != "happy path"]


# --------------------------------------------------------------------------- cold starts


def measure_cold_inits(app: LocalApp, samples: int) -> dict[str, list[float]]:
    """Init Duration (worker spawned -> handler imported) of the bare baseline and of every
    function, one cold start at a time, round-robin (so drift hits all alike), each in a fresh
    one-function Lambda service pointed at the app's emulator."""
    functions = [BASELINE, *app.model.functions]
    inits: dict[str, list[float]] = {f.logical_id: [] for f in functions}
    for round_ in range(samples):
        shift = round_ % len(functions)
        for function in functions[shift:] + functions[:shift]:
            with LambdaService(
                [function], aws_endpoint_url=app.emulator.url, log_sink=lambda f, line: None
            ) as service:
                ms = service.prewarm()[function.name]
            if ms is None:
                raise RuntimeError(f"{function.logical_id}: init failed")
            inits[function.logical_id].append(ms)
    return inits


# --------------------------------------------------------------------------- the run


@dataclass
class Report:
    machine: dict[str, str]
    inits: dict[str, list[float]]  # BASELINE.logical_id first
    latency: Latency
    routes: list[RouteRun]
    levels: list[Level]

    @property
    def happy(self) -> list[RouteRun]:
        return [r for r in self.routes if r.route == "happy path"]

    @property
    def unexpected(self) -> int:
        """Orders that ended otherwise than their route says (their figures are suspect)."""
        return (
            self.latency.unexpected
            + sum(level.orders - level.confirmed for level in self.levels)
            + sum(r.status != ROUTES[r.route][2] for r in self.routes)
        )


def machine() -> dict[str, str]:
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "moto": moto.__version__,
        "platform": platform.platform(),
    }


def measure(
    app: LocalApp,
    *,
    cold_samples: int = 11,
    warmup_orders: int = 10,
    latency_orders: int = 60,
    happy_runs: int = 30,
    levels: tuple[int, ...] = (1, 4, 16),
    orders_per_level: int = 40,
    progress: Callable[[str], None] = lambda message: None,
) -> Report:
    """Everything, on a started app (virtual time). Seeds the catalog and raises stock."""
    started = time.monotonic()
    progress = _timestamped(progress, started)
    progress(f"cold starts: {cold_samples} per function and for the bare handler (app idle)")
    inits = measure_cold_inits(app, cold_samples)
    shop = Shop(app)
    shop.seed_catalog()
    shop.set_stock(HAPPY_SKU, 10_000_000)
    shop.set_stock(SCARCE_SKU, 1)  # the out-of-stock order asks for 2
    app.lambdas.prewarm()
    checkouts(shop, warmup_orders, concurrency=1)
    progress(f"latency: {latency_orders} orders, one at a time")
    latency = measure_latency(app, shop, latency_orders)
    progress(f"routes and orchestration overhead: {happy_runs} + {len(ROUTES) - 1} orders")
    routes = measure_routes(shop, happy_runs)
    results = []
    for concurrency in levels:
        progress(f"throughput at concurrency {concurrency}: {orders_per_level} orders")
        results.append(measure_throughput(app, shop, concurrency, orders_per_level))
    return Report(machine(), inits, latency, routes, results)


def _timestamped(progress: Callable[[str], None], started: float) -> Callable[[str], None]:
    return lambda message: progress(f"[{time.monotonic() - started:5.0f} s] {message}")
