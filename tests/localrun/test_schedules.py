"""Schedule events as EventBridge fires them: the period, the event's shape, the firing."""

import threading

import pytest

from localrun.schedules import Schedule, period_seconds, scheduled_event
from localrun.template import ScheduleEventSource


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
    ],
)
def test_rate_expressions(expression, seconds):
    assert period_seconds(expression) == seconds


@pytest.mark.parametrize(
    "expression", ["rate(5 minute)", "rate(1 minutes)", "rate(0 minutes)", "cron(0 12 * * ? *)"]
)
def test_what_is_not_emulated_or_not_valid_is_refused(expression):
    with pytest.raises(ValueError, match="rate"):
        period_seconds(expression)


class RecordingLambdas:
    def __init__(self):
        self.calls = []
        self.fired = threading.Event()

    def invoke(self, name, payload):
        self.calls.append((name, payload))
        self.fired.set()

        class Result:
            function_error = None

        return Result()


class Fn:
    name = "checkout-OrdersApp-ReconcileOrdersFunction"
    logical_id = "ReconcileOrdersFunction"


def test_a_schedule_invokes_its_function_with_eventbridges_scheduled_event():
    lambdas = RecordingLambdas()
    schedule = Schedule(Fn(), ScheduleEventSource("Sweep", "rate(1 minute)", True), lambdas)
    schedule.period = 0.05  # the thread waits a period before each firing
    schedule.start()
    try:
        assert lambdas.fired.wait(5)
    finally:
        schedule.stop()
    name, event = lambdas.calls[0]
    assert name == Fn.name
    assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
    assert event["resources"][0].endswith(":rule/checkout-OrdersApp-ReconcileOrdersFunction-Sweep")


def test_a_disabled_schedule_never_fires():
    lambdas = RecordingLambdas()
    schedule = Schedule(Fn(), ScheduleEventSource("Sweep", "rate(1 minute)", False), lambdas)
    schedule.period = 0.01
    schedule.start()
    schedule.stop()
    assert lambdas.calls == []


def test_the_scheduled_event_has_a_fresh_id_each_time():
    source = ScheduleEventSource("Sweep", "rate(1 minute)", True)
    assert scheduled_event(Fn(), source)["id"] != scheduled_event(Fn(), source)["id"]
