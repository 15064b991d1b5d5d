"""The demo's waiting: as long as the checkouts make progress, not for a fixed time."""

import itertools
import time

from localrun.demo import quiet_limit, retriers, retry_delay, wait_while_progressing
from localrun.stack import LocalApp

from .conftest import FIXTURE_TEMPLATE


def test_retry_delay_is_the_last_backoff_capped_by_max_delay():
    assert retry_delay({"IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}) == 8
    assert retry_delay({"IntervalSeconds": 1, "MaxAttempts": 4, "MaxDelaySeconds": 5}) == 5
    assert retry_delay({}) == 4  # ASL defaults: 1 s, 3 attempts, rate 2


def test_retriers_are_found_in_nested_states():
    nested = {"ErrorEquals": ["B"], "IntervalSeconds": 7}
    definition = {
        "States": {
            "A": {"Type": "Task", "Retry": [{"ErrorEquals": ["A"]}]},
            "P": {"Type": "Parallel", "Branches": [{"States": {"B": {"Retry": [nested]}}}]},
            "M": {"Type": "Map", "ItemProcessor": {"States": {"C": {"Type": "Pass"}}}},
        }
    }
    assert list(retriers(definition)) == [{"ErrorEquals": ["A"]}, nested]


def test_quiet_limit_is_a_slow_cold_task_and_the_longest_backoff():
    app = LocalApp(FIXTURE_TEMPLATE, stack_name="fx")  # not started: its model is enough
    # 10 s init window + the longest Timeout (5 s) + the flow's Retry (2 s * 3 ** 1).
    assert quiet_limit(app) == 10 + 5 + 6


def test_waiting_goes_on_while_there_is_progress_past_the_quiet_limit():
    started = time.monotonic()
    ticks = itertools.count()

    done = wait_while_progressing(
        lambda: time.monotonic() - started > 0.6, lambda: next(ticks), quiet=0.1, poll=0.01
    )

    assert done


def test_waiting_gives_up_after_the_quiet_limit_without_progress():
    started = time.monotonic()

    done = wait_while_progressing(lambda: False, lambda: 0, quiet=0.2, poll=0.01)

    assert not done
    assert 0.2 < time.monotonic() - started < 2
