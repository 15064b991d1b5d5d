"""Locust: customers checking out through the HTTP API, in the paper's three traffic patterns.

    locust -f evaluation/locustfile.py --headless --host http://127.0.0.1:PORT/dev \
        --traffic steady --traffic-seconds 60 --peak-users 8 --orders-csv orders.csv --csv out \
        --id-tokens tokens.txt

Customers are signed in: `--id-tokens` is a file of Cognito ID tokens, one per line (one per
customer; `python -m localrun sign-in` prints one locally, `aws cognito-idp initiate-auth`
against a deployed pool); each simulated customer takes the next, round robin.

A customer places an order (POST /orders; answers that leave the outcome open are sent again
with the same Idempotency-Key, after 1, 2, 4 s), then reads it (GET /orders/{id}) every
`--poll-seconds` until it is CONFIRMED or FAILED, then waits and shops again. Each placed order
is appended to `--orders-csv` with the time its POST was sent, so the evaluation can measure
request-to-terminal latency against the execution's end in its history.

Profiles (`--traffic`):
- steady: `--peak-users` customers for the whole run.
- bursts: one customer, and at random moments (seeded) a burst of `--peak-users` for 2-5 s.
- ramp: customers added one step at a time up to `--peak-users`, stopping early once the p95
  of the last seconds passes `--max-p95-ms` or more than 1% of requests fail: the stress test.
"""

from __future__ import annotations

import csv
import itertools
import random
import threading
import time
import uuid
from typing import Any

from locust import HttpUser, LoadTestShape, between, events, task

TERMINAL = {"CONFIRMED", "FAILED"}
# Answers that leave the outcome open: the API's contract is to send the same request again
# with the same Idempotency-Key (localrun.shop.RETRIED_STATUSES), as a careful client does.
RETRIED_STATUSES = frozenset({409, 502, 503, 504})
POST_ATTEMPTS = 4
CART = [{"sku": "SKU-TSHIRT-BLK-M", "quantity": 1}]  # seeded with plenty of stock
FAILURE_RATIO_LIMIT = 0.01


def customer_request(id_token: str, cart: list[dict[str, Any]]) -> tuple[dict[str, str], dict]:
    """What a signed-in customer sends with POST /orders: headers and body (the customer and
    their address are the token's)."""
    headers = {
        **read_headers(id_token),
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    return headers, {"paymentToken": "pm_card_visa", "items": cart}


def read_headers(id_token: str) -> dict[str, str]:
    """Headers of the customer's GET /orders/{id}."""
    return {"Authorization": id_token}


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--traffic", choices=["steady", "bursts", "ramp"], default="steady")
    parser.add_argument("--traffic-seconds", type=float, default=60)
    parser.add_argument("--peak-users", type=int, default=8)
    parser.add_argument("--poll-seconds", type=float, default=0.25)
    parser.add_argument("--max-p95-ms", type=float, default=2000)
    parser.add_argument("--traffic-seed", type=int, default=1)
    parser.add_argument("--orders-csv", default="orders.csv")
    parser.add_argument("--id-tokens", required=True, help="a file of ID tokens, one per line")


_written = threading.Lock()
_customers = itertools.count()


class Customer(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.options = self.environment.parsed_options
        with open(self.options.id_tokens) as file:
            tokens = file.read().split()
        self.id_token = tokens[next(_customers) % len(tokens)]

    @task
    def checkout(self) -> None:
        headers, body = customer_request(self.id_token, CART)
        sent_at = time.time()
        for attempt in range(1, POST_ATTEMPTS + 1):
            with self.client.post(
                "/orders", json=body, headers=headers, name="POST /orders", catch_response=True
            ) as placed:
                if placed.status_code == 202:
                    order_id = placed.json()["orderId"]
                    break
                placed.failure(f"HTTP {placed.status_code}: {placed.text[:200]}")
                if placed.status_code not in RETRIED_STATUSES or attempt == POST_ATTEMPTS:
                    return
            time.sleep(2 ** (attempt - 1))
        with _written, open(self.options.orders_csv, "a", newline="") as file:
            csv.writer(file).writerow([order_id, f"{sent_at:.6f}", self.options.traffic])
        self._follow(order_id)

    def _follow(self, order_id: str) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(self.options.poll_seconds)
            read = self.client.get(
                f"/orders/{order_id}", headers=read_headers(self.id_token), name="GET /orders/{id}"
            )
            if read.status_code == 200 and read.json()["status"] in TERMINAL:
                return


class Profile(LoadTestShape):
    """The run's users over time, by `--traffic`."""

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None and self.runner.environment.parsed_options is not None
        options = self.runner.environment.parsed_options
        elapsed = self.get_run_time()
        if elapsed >= options.traffic_seconds:
            return None
        peak = options.peak_users
        if options.traffic == "steady":
            return peak, peak
        if options.traffic == "bursts":
            return (peak if self._in_burst(elapsed, options.traffic_seed) else 1), peak
        return self._ramp(elapsed, options)

    def _in_burst(self, elapsed: float, seed: int) -> bool:
        """Bursts start at random whole seconds (about one every 8 s) and last 2-5 s."""
        rng = random.Random(seed)
        second = 0
        while second <= elapsed:
            if rng.random() < 1 / 8:
                length = rng.randint(2, 5)
                if second <= elapsed < second + length:
                    return True
                second += length
            second += 1
        return False

    def _ramp(self, elapsed: float, options: Any) -> tuple[int, float] | None:
        steps = max(options.peak_users, 1)
        step_seconds = options.traffic_seconds / steps
        users = min(int(elapsed // step_seconds) + 1, options.peak_users)
        assert self.runner is not None
        total = self.runner.stats.total
        if (
            elapsed > step_seconds
            and (total.get_current_response_time_percentile(0.95) or 0) > options.max_p95_ms
        ):
            print(f"ramp: stopped at {users} users, p95 over {options.max_p95_ms:.0f} ms")
            return None
        if total.num_requests > 20 and total.fail_ratio > FAILURE_RATIO_LIMIT:
            print(f"ramp: stopped at {users} users, {total.fail_ratio:.1%} of requests failed")
            return None
        return users, users
