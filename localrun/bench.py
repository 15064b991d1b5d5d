"""`python -m localrun bench` (`make bench`): where a checkout's time goes, on this machine.

One run brings the application up (virtual time: no Retry backoff is slept) and measures, then
PRINTS -- it asserts no timing; it exits 1 only when an order does not end as its route says:

1. warm happy-path latency: POST /orders until GET /orders/{id} says CONFIRMED (polled)
2. orders/s at concurrency 1, 4 and 16 (each level warmed up first)
3. states entered per order (= billed Standard transitions) per route
4. orchestration overhead per transition: the interpreter's own time, timed in its threads
5. each function's cold init (Init Duration) next to a bare boto3 handler's (measured first,
   while the app is idle)

Targets are printed next to the figures with whether they are met.
"""

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
from dataclasses import dataclass, field
from pathlib import Path

import moto
from botocore.client import BaseClient

from localrun.lambdas import LambdaService
from localrun.seams import EXECUTION_WORKER, PARSER, LocalLambdaClient, moto_module
from localrun.shop import Shop
from localrun.stack import LocalApp
from localrun.template import ACCOUNT_ID, REGION, Function

PROGRAM = f"{PARSER}.asl.component.program.program"
EXECUTE_STATE = f"{PARSER}.asl.component.state.exec.execute_state"
POLL_SECONDS = 0.005  # the client's sleep between two GET /orders/{id}
TERMINAL = {"CONFIRMED", "FAILED"}
HAPPY_SKU, SCARCE_SKU = "SKU-TSHIRT-BLK-M", "SKU-POSTER-LTD-A2"
# route: (payment token, items, the order's expected final status)
ROUTES = {
    "happy path": ("tok_visa", [{"sku": HAPPY_SKU, "quantity": 1}], "CONFIRMED"),
    "declined card": ("tok_chargeDeclined", [{"sku": HAPPY_SKU, "quantity": 1}], "FAILED"),
    "out of stock": ("tok_visa", [{"sku": SCARCE_SKU, "quantity": 2}], "FAILED"),
}
TARGET_OVERHEAD_MS, TARGET_P50_MS, TARGET_INIT_RATIO = 2.0, 150.0, 1.5
USD_PER_STANDARD_TRANSITION = 0.025 / 1000
BASELINE = Function(  # import boto3; dynamodb = boto3.resource("dynamodb"); a no-op handler
    stack="bench",
    logical_id="BareBoto3Handler",
    name="bench-BareBoto3Handler",
    arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:bench-BareBoto3Handler",
    handler="bare.handler",
    code_dir=Path(__file__).with_name("bench_baseline"),
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


def paired_ratio(samples: list[float], baselines: list[float]) -> float:
    """Median of sample/baseline over rounds: round i of each list was measured together."""
    return statistics.median(s / b for s, b in zip(samples, baselines, strict=True))


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
    placed = shop.place_order(items, token, customer_id="bench")
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
class ExecutionTiming:
    """One execution, start to end, and every AWS call made for it (by service, ms each)."""

    name: str
    wall_ms: float = 0.0
    calls: dict[str, list[float]] = field(default_factory=dict)

    def call_ms(self, service: str | None = None) -> float:
        return sum(sum(ms) for name, ms in self.calls.items() if service in (None, name))

    def call_count(self, service: str | None = None) -> int:
        return sum(len(ms) for name, ms in self.calls.items() if service in (None, name))

    @property
    def interpreter_ms(self) -> float:
        return self.wall_ms - self.call_ms()


class Instrument:
    """Times every execution start to end (`ExecutionWorker._execution_logic`, in the thread
    that runs it) and every call it makes to another service: the Lambda Invokes the runner's
    seam hands to the local Lambda service, and the botocore calls of service integrations
    (events:putEvents, sqs:sendMessage). The rest is the interpreter's own work: state
    entry/exit, JSONPath, history events, threads.

    moto runs the program in a thread (`Program.eval`) and each Task in a thread of its own
    (`ExecutionState._evaluate_with_timeout`): the program thread is tagged with its execution
    from the Environment's context object, and Task threads inherit the tag."""

    def __init__(self) -> None:
        self.executions: dict[str, ExecutionTiming] = {}  # ended
        self._running: dict[str, ExecutionTiming] = {}
        self._tag = threading.local()  # .timing: the execution this thread works for
        self._ended = threading.Condition()
        self._restore: list[tuple[object, str, object]] = []

    def __enter__(self) -> Instrument:
        worker_class = moto_module(EXECUTION_WORKER).ExecutionWorker
        program_class = moto_module(PROGRAM).Program
        execution_logic = worker_class.__dict__["_execution_logic"]
        eval_body = program_class.__dict__["_eval_body"]
        make_api_call = BaseClient.__dict__["_make_api_call"]
        local_invoke = LocalLambdaClient.__dict__["invoke"]
        tag, running = self._tag, self._running

        def timed_execution_logic(worker) -> None:
            timing = ExecutionTiming(worker._evaluation_details.execution_details.name)
            running[timing.name] = timing
            started = time.perf_counter()
            try:
                execution_logic(worker)
            finally:
                timing.wall_ms = (time.perf_counter() - started) * 1000
                with self._ended:
                    self.executions[timing.name] = running.pop(timing.name)
                    self._ended.notify_all()

        def tagged_eval_body(program, env) -> None:
            execution = env.states.context_object.context_object_data["Execution"]
            tag.timing = running.get(execution["Name"])
            try:
                eval_body(program, env)
            finally:
                tag.timing = None

        class TaskThread(threading.Thread):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self._timing = getattr(tag, "timing", None)

            def run(self) -> None:
                tag.timing = self._timing
                super().run()

        def timed(call: Callable, client, *args, **kwargs):
            timing = getattr(tag, "timing", None)
            if timing is None or getattr(tag, "in_call", False):  # count nested calls once
                return call(client, *args, **kwargs)
            started, tag.in_call = time.perf_counter(), True
            try:
                return call(client, *args, **kwargs)
            finally:
                tag.in_call = False
                service = client.meta.service_model.service_name
                timing.calls.setdefault(service, []).append((time.perf_counter() - started) * 1000)

        def timed_api_call(client, operation_name, api_params):
            return timed(make_api_call, client, operation_name, api_params)

        def timed_local_invoke(client, **parameters):
            return timed(local_invoke, client, **parameters)

        for owner, name, replacement in (
            (worker_class, "_execution_logic", timed_execution_logic),
            (program_class, "_eval_body", tagged_eval_body),
            (moto_module(EXECUTE_STATE), "Thread", TaskThread),
            (BaseClient, "_make_api_call", timed_api_call),
            (LocalLambdaClient, "invoke", timed_local_invoke),
        ):
            self._restore.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, replacement)
        return self

    def __exit__(self, *exc_info) -> None:
        for owner, name, original in reversed(self._restore):
            setattr(owner, name, original)
        self._restore.clear()

    def wait(self, name: str, timeout: float = 60.0) -> ExecutionTiming:
        with self._ended:
            if not self._ended.wait_for(lambda: name in self.executions, timeout):
                raise TimeoutError(f"execution {name} did not end within {timeout:.0f} s")
            return self.executions[name]


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
    placed = shop.place_order(items, token, customer_id="bench")
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


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def render(report: Report) -> list[str]:
    m, latency = report.machine, report.latency
    p50 = percentile(latency.confirmed_ms, 50)
    handlers = ", ".join(f"{name} {ms:.0f}" for name, ms in sorted(latency.handler_p50_ms.items()))
    lines = [
        f"localrun bench  {m['date']}",
        f"machine: {m['cores']} cores, Python {m['python']}, moto {m['moto']}, {m['platform']}",
        "app: moto in server mode in this process, every function in worker processes, "
        "virtual time",
        "",
        "1. Warm happy-path checkout latency: POST /orders sent -> GET /orders/{id} reads "
        f"CONFIRMED (polled every {POLL_SECONDS * 1000:.0f} ms),",
        "   one order at a time, after a warm-up, functions prewarmed (no cold start)",
        f"   n={len(latency.orders)}  p50 {p50:.1f} ms  p95 "
        f"{percentile(latency.confirmed_ms, 95):.1f} ms  mean "
        f"{statistics.fmean(latency.confirmed_ms or [math.nan]):.1f} ms   "
        f"target p50 <= {TARGET_P50_MS:.0f} ms: {verdict(p50 <= TARGET_P50_MS)}",
        f"   of which POST /orders answered (202) in p50 "
        f"{percentile([c.post_ms for c in latency.orders], 50):.1f} ms",
        f"   warm handler Duration p50, ms (OrdersApi mixes POST and GETs): {handlers}",
        "",
        "2. Throughput: client threads each place a happy-path order and poll it to CONFIRMED;",
        "   each level warmed up first (rounds until one starts no new environment, at most 3)",
        "   concurrency  orders  confirmed  elapsed s  orders/s  p50 ms  "
        "runner CPU ms/order  cold starts",
    ]
    for level in report.levels:
        lines.append(
            f"   {level.concurrency:>11}  {level.orders:>6}  {level.confirmed:>9}  "
            f"{level.elapsed_s:>9.2f}  {level.orders_per_s:>8.2f}  {level.p50_ms:>6.0f}  "
            f"{level.cpu_ms_per_order:>19.0f}  {level.cold_starts:>11}"
        )
    lines += [
        "   (runner CPU: this one process -- moto, the interpreter, API and Lambda front ends, "
        "client -- under one GIL;",
        "    it caps throughput near 1000 / (runner CPU ms per order) orders/s)",
        "",
        "3. State transitions per order (states entered, from the execution history)",
    ]
    first_of_route: dict[str, RouteRun] = {}
    for run in report.routes:
        first_of_route.setdefault(run.route, run)
    for route, run in first_of_route.items():
        usd = len(run.states) * USD_PER_STANDARD_TRANSITION * 1_000_000
        lines.append(
            f"   {route:<14} {len(run.states):>2}  (${usd:,.0f} per 1M orders on Standard)  "
            f"{' -> '.join(run.states)}"
        )

    happy = report.happy
    per_transition = [r.overhead_ms_per_transition for r in happy]
    overhead = statistics.median(per_transition)

    def median(value: Callable[[ExecutionTiming], float]) -> float:
        return statistics.median(value(r.timing) for r in happy)

    lines += [
        "",
        "4. Orchestration overhead per transition = (execution wall time - time inside Lambda "
        "invokes and service-integration",
        "   calls) / states entered. Wall time: ExecutionWorker._execution_logic, start to end. "
        "Calls: every Lambda Invoke",
        "   the runner's seam hands to the local Lambda service, and every botocore call of a "
        "service integration",
        "   (events:putEvents, sqs:sendMessage). Orders one at a time, waited for without "
        "polling; virtual time.",
        f"   happy path, n={len(happy)}: p50 {overhead:.2f} ms  p95 "
        f"{percentile(per_transition, 95):.2f} ms per transition   target <= "
        f"{TARGET_OVERHEAD_MS:.0f} ms: {verdict(overhead <= TARGET_OVERHEAD_MS)}",
        f"   median execution: wall {median(lambda t: t.wall_ms):.1f} ms = Lambda "
        f"{median(lambda t: t.call_ms('lambda')):.1f} ms ({happy[0].timing.call_count('lambda')} "
        f"invokes) + integrations "
        f"{median(lambda t: t.call_ms() - t.call_ms('lambda')):.1f} ms "
        f"({happy[0].timing.call_count() - happy[0].timing.call_count('lambda')} calls) "
        f"+ interpreter {median(lambda t: t.interpreter_ms):.1f} ms",
    ]
    for run in report.routes[len(happy) :]:
        lines.append(
            f"   {run.route}, n=1: {run.overhead_ms_per_transition:.2f} ms per transition "
            f"(interpreter {run.timing.interpreter_ms:.1f} ms over {len(run.states)} states)"
        )

    baseline_samples = report.inits[BASELINE.logical_id]
    baseline = statistics.median(baseline_samples)
    lines += [
        "",
        "5. Cold init = Init Duration as the runner measures it (worker process spawned -> "
        "handler module imported),",
        f"   {len(baseline_samples)} rounds of one cold start each, one at a time, app idle; "
        "median [min-max] ms; ratio = median over",
        "   the rounds of (function / bare handler in the same round), so a slow spell of the "
        "machine hits both sides",
        f"   {'bare boto3 handler (baseline)':<28} {baseline:>5.0f} ms "
        f"[{min(baseline_samples):.0f}-{max(baseline_samples):.0f}]",
    ]
    met = 0
    for name, samples in report.inits.items():
        if name == BASELINE.logical_id:
            continue
        ratio = paired_ratio(samples, baseline_samples)
        met += ratio <= TARGET_INIT_RATIO
        lines.append(
            f"   {name:<28} {statistics.median(samples):>5.0f} ms "
            f"[{min(samples):.0f}-{max(samples):.0f}]  {ratio:.2f}x   target <= "
            f"{TARGET_INIT_RATIO}x: {verdict(ratio <= TARGET_INIT_RATIO)}"
        )
    lines += [
        "",
        f"Targets: orchestration overhead {verdict(overhead <= TARGET_OVERHEAD_MS)}; "
        f"warm p50 {verdict(p50 <= TARGET_P50_MS)}; cold init {met} of "
        f"{len(report.inits) - 1} functions MET",
    ]
    if report.unexpected:
        lines.append(f"WARNING: {report.unexpected} orders ended otherwise than their route says")
    return lines


def run(
    app: LocalApp,
    out: Callable[[str], None] = print,
    progress: Callable[[str], None] = lambda message: None,
    **counts,
) -> int:
    """`python -m localrun bench`: measure on `app` (not started yet), then print the report."""
    started = time.monotonic()
    with app.start(virtual_time=True):
        report = measure(app, progress=progress, **counts)
    for line in render(report):
        out(line)
    out(f"(bench run: {time.monotonic() - started:.0f} s)")
    return 1 if report.unexpected else 0
