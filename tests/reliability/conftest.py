"""A fresh local application per test module (cold functions, empty tables), and the helpers a
load test needs (from `localrun.soak`, which the soak command shares): bursts of concurrent
customers, and settling a run (every execution ended, the reconciler done) before the
invariants are checked."""

import pytest

from localrun.shop import Shop
from localrun.soak import burst, settle
from localrun.stack import LocalApp

__all__ = ["burst", "settle"]


# The sandbox provider: its cards make provider outages (tok_outage_N, tok_refundOutage), which
# the fault matrix and the soak draw on.
SIMULATED_PROVIDER = {"PaymentProvider": "simulated"}


@pytest.fixture(scope="module")
def app():
    with LocalApp(parameters=SIMULATED_PROVIDER).start(virtual_time=True) as running:
        yield running


@pytest.fixture(scope="module")
def shop(app):
    # Customers as the API asks them to behave: an answer that leaves the outcome open (409,
    # 502-504: e.g. a cold function timing out on a busy machine) is retried with the same
    # Idempotency-Key, so it can never place a second order.
    shop = Shop(app, retries=5)
    shop.seed_catalog()
    shop.tap_events()
    return shop
