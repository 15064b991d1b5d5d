"""Scheduled events: what EventBridge does for a function's `Type: Schedule` event.

Each schedule is a thread that invokes its function with the event EventBridge sends
("Scheduled Event", source aws.events) every period of its `rate(...)` expression, the first one
a period after start, as a new rule does. `cron(...)` expressions are not emulated (none of the
templates uses one); they are refused when the app starts, not silently skipped. With virtual
time (the tests), schedules do not fire by themselves: tests invoke the function when they mean
to, with `fire()`.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from datetime import UTC, datetime

from localrun.lambdas import LambdaService, LambdaServiceError
from localrun.template import ACCOUNT_ID, REGION, Function, ScheduleEventSource

LOG = logging.getLogger("localrun.schedules")
_RATE = re.compile(r"^rate\((?P<value>[1-9]\d*) (?P<unit>minutes?|hours?|days?)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def period_seconds(expression: str) -> int:
    """`rate(5 minutes)` -> 300. Raises ValueError for anything else."""
    match = _RATE.match(expression)
    if not match:
        raise ValueError(f"{expression!r}: only rate(N minutes|hours|days) is emulated")
    value, unit = int(match["value"]), match["unit"].rstrip("s")
    if (value == 1) != (unit == match["unit"]):  # rate(1 minute), rate(5 minutes), as AWS wants
        raise ValueError(f"{expression!r}: use the singular unit for 1 and the plural otherwise")
    return value * _UNIT_SECONDS[unit]


def scheduled_event(function: Function, schedule: ScheduleEventSource) -> dict:
    rule = f"{function.name}-{schedule.name}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


class Schedule:
    """One function's schedule: fires every period until stopped."""

    def __init__(self, function: Function, schedule: ScheduleEventSource, lambdas: LambdaService):
        self.function, self.schedule = function, schedule
        self.period = period_seconds(schedule.expression)
        self._lambdas = lambdas
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"schedule-{function.logical_id}"
        )

    def start(self) -> None:
        if self.schedule.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def fire(self) -> None:
        """One scheduled invocation, now. Asynchronous for EventBridge: its result is logged."""
        try:
            result = self._lambdas.invoke(
                self.function.name, scheduled_event(self.function, self.schedule)
            )
        except LambdaServiceError:
            LOG.exception("schedule %s could not invoke its function", self.schedule.name)
            return
        if result.function_error:
            LOG.warning("%s failed on its schedule: %s", self.function.logical_id, result.json())

    def _run(self) -> None:
        while not self._stopping.wait(self.period):
            self.fire()
