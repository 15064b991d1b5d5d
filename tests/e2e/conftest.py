"""One local application per test module: moto, every function in its own worker processes,
the API over HTTP and the real checkout.asl.json. (moto's state is global to a process, so
only one app runs at a time.) Virtual time: Retry backoffs are recorded, not slept."""

import time

import pytest

from localrun.shop import Shop
from localrun.stack import LocalApp
from tests.support.iam import ungranted_calls


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Also records every AWS call the functions make; when the module is done, each must be
    one its function's IAM role grants (tests/template/test_least_privilege.py holds the roles
    to what the code uses; this holds the code to its roles)."""
    calls = tmp_path_factory.mktemp("aws-calls") / "calls.jsonl"
    with LocalApp(aws_call_log=calls).start(virtual_time=True) as running:
        yield running
        model = running.model
    assert calls.stat().st_size > 0, "no AWS call recorded: is the call log still written?"
    assert ungranted_calls(model.function, calls) == set()


@pytest.fixture(scope="module")
def shop(app):
    shop = Shop(app)
    shop.seed_catalog()
    shop.tap_events()
    return shop


@pytest.fixture(autouse=True)
def _no_leftover_faults(app):
    yield
    app.lambdas.clear_faults()
    app.seams.clear_faults()


def eventually(probe, timeout=20.0):
    """Asynchronous outcomes (emails, events) arrive after the execution ends."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
