"""One local application per test module: moto, every function in its own worker processes,
the API over HTTP and the real checkout.asl.json. (moto's state is global to a process, so
only one app runs at a time.) Virtual time: Retry backoffs are recorded, not slept."""

import time

import pytest

from localrun.shop import Shop
from localrun.stack import LocalApp


@pytest.fixture(scope="module")
def app():
    with LocalApp().start(virtual_time=True) as running:
        yield running


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
