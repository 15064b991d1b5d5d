"""`python -m localrun bench` (`make bench`): where a checkout's time goes, on this machine.

One run brings the application up (virtual time: no Retry backoff is slept) and measures, then
PRINTS -- it asserts no timing; it exits 1 only when an order does not end as its route says:

1. warm happy-path latency: POST /orders until GET /orders/{id} says CONFIRMED (polled)
2. orders/s at concurrency 1, 4 and 16 (each level warmed up first)
3. states entered per order (= billed Standard transitions) per route
4. orchestration overhead per transition: the interpreter's own time, timed in its threads
5. each function's cold init (Init Duration) next to a bare boto3 handler's (measured first,
   while the app is idle)

Targets are printed next to the figures with whether they are met. `measurements` takes the figures
(the interpreter's side through `instrument`), `report` renders them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from localrun.bench.measurements import BASELINE, ROUTES, Report, measure
from localrun.bench.report import paired_ratio, render
from localrun.stack import LocalApp

__all__ = ["BASELINE", "ROUTES", "Report", "measure", "paired_ratio", "render", "run"]


def run(
    app: LocalApp,
    out: Callable[[str], None] = print,
    progress: Callable[[str], None] = lambda message: None,
    **counts: Any,
) -> int:
    """`python -m localrun bench`: measure on `app` (not started yet), then print the report."""
    started = time.monotonic()
    with app.start(virtual_time=True):
        report = measure(app, progress=progress, **counts)
    for line in render(report):
        out(line)
    out(f"(bench run: {time.monotonic() - started:.0f} s)")
    return 1 if report.unexpected else 0
