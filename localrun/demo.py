"""`make demo`: the whole checkout, locally, through every kind of path.

Brings the application up on moto, seeds the sample catalog, places one order per scenario
through the HTTP API (all at once, as concurrent customers would; then, one at a time, the
orders that meet Stripe failing), lets the real state machine run them in real time (retry
backoffs are really waited), then shows each order's route and outcome and what it left
behind: stock, payments (the record and its PaymentIntent at the fake Stripe), emails. Exits 1
if any order ends otherwise than its scenario expects.

It waits for the checkouts as long as they make progress rather than for a fixed time, so a
machine kept busy by other work makes it slower, not wrong: it gives up only when nothing has
moved for longer than the application itself can stay quiet (`quiet_limit`).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from localrun.lambdas import INIT_TIMEOUT_SECONDS
from localrun.shop import Shop, Step
from localrun.stack import LocalApp

COMPENSATIONS = {"RefundPayment", "ReleaseStock", "MarkOrderFailed", "PublishOrderFailed"}
# Stripe's test payment methods (the fake Stripe knows them): one pays, one is declined.
PAYS, DECLINED = "pm_card_visa", "pm_card_chargeCustomerFail"
AUTHORIZE, CAPTURE = r"^/v1/payment_intents$", r"^/v1/payment_intents/[^/]+/capture$"


@dataclass(frozen=True)
class StripeFault:
    """The fake Stripe answers 503 to `times` requests on `path` while the order runs."""

    times: int
    path: str


@dataclass(frozen=True)
class Scenario:
    title: str
    token: str
    items: tuple[tuple[str, int], ...]
    expected_status: str
    expected_reason: str | None = None
    # The payment record's status and its PaymentIntent's at Stripe (None: no payment at all).
    expected_payment: tuple[str, str] | None = ("CAPTURED", "succeeded")
    stripe_fault: StripeFault | None = None  # placed alone, so the fault meets only this order


SCENARIOS = (
    Scenario(
        "happy path: authorized, then captured",
        PAYS,
        (("SKU-TSHIRT-BLK-M", 2), ("SKU-MUG-WHT-12OZ", 1)),
        "CONFIRMED",
    ),
    Scenario(
        "declined card",
        DECLINED,
        (("SKU-HOODIE-GRY-L", 1),),
        "FAILED",
        "PaymentDeclined",
        ("DECLINED", ""),  # no PaymentIntent authorized, none recorded
    ),
    Scenario("out of stock", PAYS, (("SKU-POSTER-LTD-A2", 2),), "FAILED", "OutOfStock", None),
    Scenario(
        "Stripe unavailable twice while authorizing: recovers on retry",
        PAYS,
        (("SKU-CAP-NVY-OS", 1),),
        "CONFIRMED",
        stripe_fault=StripeFault(2, AUTHORIZE),
    ),
    Scenario(
        "Stripe unavailable at capture past the retries: authorization cancelled, not refunded",
        PAYS,
        (("SKU-CAP-NVY-OS", 1),),
        "FAILED",
        "PaymentProviderUnavailable",
        ("CANCELLED", "canceled"),
        stripe_fault=StripeFault(4, CAPTURE),
    ),
)


def describe(step: Step) -> str:
    text = step.name
    if step.attempts > 1:
        counts = {error: step.errors.count(error) for error in step.errors}
        failed = ", ".join(f"{error} x{n}" for error, n in counts.items())
        text += f" ({step.attempts} attempts: {failed} failed)"
    elif step.errors:
        text += f" ({step.errors[0]})"
    if step.name in COMPENSATIONS:
        text = "↩ " + text
    return text


def run(out=print) -> int:
    started = time.monotonic()
    out("Starting the application on moto from template.yaml and checkout.asl.json ...")
    with LocalApp().start(virtual_time=False) as app:
        out(
            f"  up in {time.monotonic() - started:.1f} s: {len(app.model.functions)} functions, "
            f"{len(app.model.tables)} tables, API at {app.api_url}"
        )
        # A customer's client retries what the API answers as undecided (its documented
        # contract, with the same Idempotency-Key), e.g. a function timed out on a busy machine.
        shop = Shop(app, retries=3)
        products = shop.seed_catalog()
        stock_before = {p["sku"]: shop.available(p["sku"]) for p in products}
        out(f"  catalog seeded: {len(products)} products\n")

        def place(index: int, scenario: Scenario) -> dict | None:
            items = [{"sku": sku, "quantity": qty} for sku, qty in scenario.items]
            # Each customer signs in to the user pool (an account made on first use).
            response = shop.place_order(items, scenario.token, email=f"customer{index}@example.com")
            if response.status != 202:
                out(f"  {scenario.title}: HTTP {response.status} {response.body}")
                return None
            retried = "".join(f"HTTP {status}, retried; " for status in response.retried)
            out(
                f"Placed order {index} ({scenario.title}): {retried}HTTP 202, "
                f"{response.body['amountCents'] / 100:.2f} {response.body['currency']}, "
                f"order {response.body['orderId']}"
            )
            return response.body

        quiet = quiet_limit(app)
        placed: list[tuple[Scenario, dict]] = []
        executions: dict[str, Any] = {}
        together = [(i, s) for i, s in enumerate(SCENARIOS, 1) if s.stripe_fault is None]
        for index, scenario in together:
            if (body := place(index, scenario)) is None:
                return 1
            placed.append((scenario, body))
        out("\nWaiting for the checkouts (retry backoffs run in real time) ...\n")
        executions |= wait_for_executions(app, [body["orderId"] for _, body in placed], quiet)
        for index, scenario in enumerate(SCENARIOS, 1):
            if (fault := scenario.stripe_fault) is None:
                continue
            app.fake_stripe.fail(fault.times, 503, path=fault.path)
            if (body := place(index, scenario)) is None:
                return 1
            placed.append((scenario, body))
            executions |= wait_for_executions(app, [body["orderId"]], quiet)
            app.fake_stripe.clear_faults()
        out("")
        placed.sort(key=lambda pair: SCENARIOS.index(pair[0]))
        failures = 0
        for index, (scenario, body) in enumerate(placed, 1):
            execution = executions.get(body["orderId"])
            if execution is None:
                out(f"Order {index}: {scenario.title}: no progress in {quiet:.0f} s, not ended")
                failures += 1
                continue
            order = shop.order(body["orderId"])
            payment = shop.payment(body["orderId"])
            as_expected = (order["status"], order.get("reason")) == (
                scenario.expected_status,
                scenario.expected_reason,
            ) and payment_states(app, payment) == scenario.expected_payment
            failures += not as_expected
            seconds = (execution["stopDate"] - execution["startDate"]).total_seconds()
            out(f"Order {index}: {scenario.title}")
            out(f"  route:   {' -> '.join(describe(s) for s in shop.route(body['orderId']))}")
            outcome = order["status"] + (f" ({order['reason']})" if order.get("reason") else "")
            expected = scenario.expected_status + (
                f" ({scenario.expected_reason})" if scenario.expected_reason else ""
            )
            verdict = "" if as_expected else f"   <-- expected {expected}"
            out(
                f"  outcome: {outcome}, execution {execution['status']} in {seconds:.1f} s{verdict}"
            )
            out(f"  payment: {describe_payment(app, payment)}\n")

        emails = wait_for_emails(shop, expected=len(placed), quiet=quiet)
        out("Stock (available) before -> after:")
        for sku, before in stock_before.items():
            out(f"  {sku:<22} {before:>4} -> {shop.available(sku):>4}")
        out(f"\nEmails sent through SES: {len(emails)}")
        for email in emails:
            out(f"  to {email['destinations']['ToAddresses'][0]}: {email['subject']}")
        alerts = shop.alerts()
        out(f"\nOperator alerts: {len(alerts)}")
        for alert in alerts:
            out(f"  {alert['alert']}: order {alert['orderId']} ({alert.get('error')})")

    outcome = "every order ended as expected" if not failures else f"{failures} unexpected"
    out(f"\nDone in {time.monotonic() - started:.1f} s: {outcome}.")
    return 1 if failures else 0


def payment_states(app: LocalApp, payment: dict | None) -> tuple[str, str] | None:
    if payment is None:
        return None
    intent_id = payment.get("providerPaymentId")
    return payment["status"], app.fake_stripe.payment_intent(intent_id)[
        "status"
    ] if intent_id else ""


def describe_payment(app: LocalApp, payment: dict | None) -> str:
    """The payment record's status, and its PaymentIntent's as the fake Stripe holds it."""
    if payment is None:
        return "none (never authorized)"
    text = payment["status"]
    if intent_id := payment.get("providerPaymentId"):
        intent = app.fake_stripe.payment_intent(intent_id)
        text += f"; PaymentIntent {intent_id} {intent['status']}"
        text += ", refunded" if intent["refunded"] else ""
    return text


def quiet_limit(app: LocalApp) -> float:
    """How long a checkout can go without a new history event while nothing is wrong.

    Its longest silences are a Lambda task whose init passed Lambda's init window and then ran
    to the longest function Timeout, and the longest Retry backoff; the limit allows both back
    to back, a margin for a runner that the load slows down too."""
    longest_task = INIT_TIMEOUT_SECONDS + max(f.timeout for f in app.model.functions)
    definition = json.loads(app.model.state_machine().definition)
    return longest_task + max((retry_delay(r) for r in retriers(definition)), default=0.0)


def retriers(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every Retry rule of an ASL definition, nested states (Parallel, Map) included."""
    for state in definition.get("States", {}).values():
        yield from state.get("Retry", [])
        for branch in state.get("Branches", []):
            yield from retriers(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from retriers(state[key])


def retry_delay(retrier: dict[str, Any]) -> float:
    """The longest wait before a retry of this rule (the last one's, capped)."""
    delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** max(
        retrier.get("MaxAttempts", 3) - 1, 0
    )
    return min(delay, retrier.get("MaxDelaySeconds", delay))


def wait_while_progressing(
    done: Callable[[], bool], progress: Callable[[], object], quiet: float, poll: float = 0.5
) -> bool:
    """Poll until `done()`; give up (False) only when `progress()` has not changed for `quiet`
    seconds. How long the whole takes is the machine's business; a stall is the runner's."""
    last, changed = progress(), time.monotonic()
    while not done():
        if (now := progress()) != last:
            last, changed = now, time.monotonic()
        elif time.monotonic() - changed > quiet:
            return False
        time.sleep(poll)
    return True


def wait_for_executions(app: LocalApp, names: list[str], quiet: float) -> dict[str, Any]:
    """The executions (DescribeExecution) that ended, by name, once all have or they stall."""
    ended: dict[str, Any] = {}

    def all_ended() -> bool:
        for name in names:
            if name not in ended:
                with contextlib.suppress(TimeoutError):  # still running
                    ended[name] = app.wait_for_execution(name, timeout=0)
        return len(ended) == len(names)

    def progress() -> tuple[int, ...]:
        return tuple(len(app.history(name)) for name in names if name not in ended)

    wait_while_progressing(all_ended, progress, quiet)
    return ended


def wait_for_emails(shop: Shop, expected: int, quiet: float) -> list[dict]:
    """Notifications follow the outcome events through EventBridge and SQS, asynchronously."""
    wait_while_progressing(
        lambda: len(shop.app.sent_emails()) >= expected, lambda: len(shop.app.sent_emails()), quiet
    )
    return shop.app.sent_emails()
