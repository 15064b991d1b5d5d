"""The bench's report: one function per section, in the order the report prints them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable

from localrun.bench.instrument import ExecutionTiming
from localrun.bench.measurements import BASELINE, POLL_SECONDS, Report, RouteRun, percentile

TARGET_OVERHEAD_MS, TARGET_P50_MS, TARGET_INIT_RATIO = 2.0, 150.0, 1.5
USD_PER_STANDARD_TRANSITION = 0.025 / 1000


def paired_ratio(samples: list[float], baselines: list[float]) -> float:
    """Median of sample/baseline over rounds: round i of each list was measured together."""
    return statistics.median(s / b for s, b in zip(samples, baselines, strict=True))


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def render(report: Report) -> list[str]:
    sections = (header, latency, throughput, transitions, overhead, cold_inits, targets)
    lines: list[str] = []
    for section in sections:
        lines += ([""] if lines else []) + section(report)
    if report.unexpected:
        lines.append(f"WARNING: {report.unexpected} orders ended otherwise than their route says")
    return lines


# --------------------------------------------------------------------------- the figures


def warm_p50_ms(report: Report) -> float:
    return percentile(report.latency.confirmed_ms, 50)


def overhead_ms_per_transition(report: Report) -> list[float]:
    return [r.overhead_ms_per_transition for r in report.happy]


def init_ratios(report: Report) -> dict[str, float]:
    """Each function's cold init over the bare handler's (`paired_ratio`), by logical id."""
    baseline_samples = report.inits[BASELINE.logical_id]
    return {
        name: paired_ratio(samples, baseline_samples)
        for name, samples in report.inits.items()
        if name != BASELINE.logical_id
    }


# --------------------------------------------------------------------------- the sections


def header(report: Report) -> list[str]:
    m = report.machine
    return [
        f"localrun bench  {m['date']}",
        f"machine: {m['cores']} cores, Python {m['python']}, moto {m['moto']}, {m['platform']}",
        "app: moto in server mode in this process, every function in worker processes, "
        "virtual time",
    ]


def latency(report: Report) -> list[str]:
    measured, p50 = report.latency, warm_p50_ms(report)
    handlers = ", ".join(f"{name} {ms:.0f}" for name, ms in sorted(measured.handler_p50_ms.items()))
    return [
        "1. Warm happy-path checkout latency: POST /orders sent -> GET /orders/{id} reads "
        f"CONFIRMED (polled every {POLL_SECONDS * 1000:.0f} ms),",
        "   one order at a time, after a warm-up, functions prewarmed (no cold start)",
        f"   n={len(measured.orders)}  p50 {p50:.1f} ms  p95 "
        f"{percentile(measured.confirmed_ms, 95):.1f} ms  mean "
        f"{statistics.fmean(measured.confirmed_ms or [math.nan]):.1f} ms   "
        f"target p50 <= {TARGET_P50_MS:.0f} ms: {verdict(p50 <= TARGET_P50_MS)}",
        f"   of which POST /orders answered (202) in p50 "
        f"{percentile([c.post_ms for c in measured.orders], 50):.1f} ms",
        f"   warm handler Duration p50, ms (OrdersApi mixes POST and GETs): {handlers}",
    ]


def throughput(report: Report) -> list[str]:
    lines = [
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
    return [
        *lines,
        "   (runner CPU: this one process -- moto, the interpreter, API and Lambda front ends, "
        "client -- under one GIL;",
        "    it caps throughput near 1000 / (runner CPU ms per order) orders/s)",
    ]


def transitions(report: Report) -> list[str]:
    first_of_route: dict[str, RouteRun] = {}
    for run in report.routes:
        first_of_route.setdefault(run.route, run)
    lines = ["3. State transitions per order (states entered, from the execution history)"]
    for route, run in first_of_route.items():
        usd = len(run.states) * USD_PER_STANDARD_TRANSITION * 1_000_000
        lines.append(
            f"   {route:<14} {len(run.states):>2}  (${usd:,.0f} per 1M orders on Standard)  "
            f"{' -> '.join(run.states)}"
        )
    return lines


def overhead(report: Report) -> list[str]:
    happy, per_transition = report.happy, overhead_ms_per_transition(report)
    median_overhead = statistics.median(per_transition)

    def median(value: Callable[[ExecutionTiming], float]) -> float:
        return statistics.median(value(r.timing) for r in happy)

    lines = [
        "4. Orchestration overhead per transition = (execution wall time - time inside Lambda "
        "invokes and service-integration",
        "   calls) / states entered. Wall time: ExecutionWorker._execution_logic, start to end. "
        "Calls: every Lambda Invoke",
        "   the runner's seam hands to the local Lambda service, and every botocore call of a "
        "service integration",
        "   (events:putEvents, sqs:sendMessage). Orders one at a time, waited for without "
        "polling; virtual time.",
        f"   happy path, n={len(happy)}: p50 {median_overhead:.2f} ms  p95 "
        f"{percentile(per_transition, 95):.2f} ms per transition   target <= "
        f"{TARGET_OVERHEAD_MS:.0f} ms: {verdict(median_overhead <= TARGET_OVERHEAD_MS)}",
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
    return lines


def cold_inits(report: Report) -> list[str]:
    baseline_samples = report.inits[BASELINE.logical_id]
    lines = [
        "5. Cold init = Init Duration as the runner measures it (worker process spawned -> "
        "handler module imported),",
        f"   {len(baseline_samples)} rounds of one cold start each, one at a time, app idle; "
        "median [min-max] ms; ratio = median over",
        "   the rounds of (function / bare handler in the same round), so a slow spell of the "
        "machine hits both sides",
        f"   {'bare boto3 handler (baseline)':<28} {statistics.median(baseline_samples):>5.0f} ms "
        f"[{min(baseline_samples):.0f}-{max(baseline_samples):.0f}]",
    ]
    for name, ratio in init_ratios(report).items():
        samples = report.inits[name]
        lines.append(
            f"   {name:<28} {statistics.median(samples):>5.0f} ms "
            f"[{min(samples):.0f}-{max(samples):.0f}]  {ratio:.2f}x   target <= "
            f"{TARGET_INIT_RATIO}x: {verdict(ratio <= TARGET_INIT_RATIO)}"
        )
    return lines


def targets(report: Report) -> list[str]:
    ratios = init_ratios(report).values()
    met = sum(ratio <= TARGET_INIT_RATIO for ratio in ratios)
    median_overhead = statistics.median(overhead_ms_per_transition(report))
    return [
        f"Targets: orchestration overhead {verdict(median_overhead <= TARGET_OVERHEAD_MS)}; "
        f"warm p50 {verdict(warm_p50_ms(report) <= TARGET_P50_MS)}; cold init {met} of "
        f"{len(ratios)} functions MET",
    ]
