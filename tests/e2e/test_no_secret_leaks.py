"""No secret where it does not belong: a full local run of the checkout (paid, declined,
compensated with a cancel Stripe keeps refusing, and a card number typed where the token goes),
with every function's log lines and every X-Ray segment its Tracer sends captured, then the
execution histories, the alerts, the events on the bus and the tables read back.

Nowhere but the payments service's own registrations (`PAYMENTREF#`) may a payment token
(`pm_...`, `tok_...`) show, nor a card-like number anywhere; logs, traces and alerts carry no email
address either, and neither do the execution histories and the events on the bus: they name
the customer by id, and the notifications service reads the address from the user pool.

Traces are captured as on AWS: the functions run with tracing on (`Tracing: Active`) and the
X-Ray SDK sends each segment over UDP to a daemon address, here a socket of this test.
"""

import json
import socket
import threading
import time

import pytest

from localrun.fake_stripe import LOCAL_SECRET_KEY
from localrun.lambdas import FunctionErrorFault
from localrun.schedules import scheduled_event
from localrun.stack import LocalApp
from tests.e2e.conftest import eventually
from tests.support.leaks import card_like_numbers, secrets_in

SHIRT = "SKU-TSHIRT-BLK-M"
CARD_NUMBER = "4242 4242 4242 4242"  # what a customer may paste where the token goes
CHECKOUTS = {  # email -> (token, how the execution ends)
    "paid@example.com": ("pm_card_visa", "SUCCEEDED"),
    "declined@example.com": ("pm_card_chargeCustomerFail", "FAILED"),
    # Its CommitStock fails (the second one of the run: the declined order has none), so the
    # compensation cancels its authorization, which Stripe keeps refusing: the
    # compensation-failed alert.
    "stuck-cancel@example.com": ("pm_card_visa", "FAILED"),
}
CANCEL_ATTEMPTS = 5  # RefundPayment's first try and its 4 retries


class XRayDaemon:
    """Listens where the functions' X-Ray SDK sends segments: one UDP datagram per segment,
    a JSON header line then the segment's JSON."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self.datagrams: list[str] = []
        self._thread = threading.Thread(target=self._receive, daemon=True, name="xray-daemon")
        self._thread.start()

    def _receive(self) -> None:
        while True:
            try:
                self.datagrams.append(self.socket.recv(65_536).decode())
            except OSError:  # closed
                return

    def segments(self) -> list[dict]:
        return [json.loads(d.split("\n", 1)[1]) for d in self.datagrams]

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def daemon():
    listening = XRayDaemon()
    yield listening
    listening.close()


@pytest.fixture(scope="module")
def logs() -> list[tuple[str, str]]:
    return []


@pytest.fixture(scope="module")
def app(daemon, logs):
    """This module's own app: every log line kept, traces sent to the daemon."""
    local = LocalApp(
        log_sink=lambda function, line: logs.append((function.logical_id, line)),
        xray_daemon_address=daemon.address,
    )
    with local.start(virtual_time=True) as running:
        yield running


@pytest.fixture(scope="module")
def run(app, shop):
    """The checkouts, settled (emails sent, the reconciler's sweep done); their order ids."""
    app.lambdas.inject("CommitStockFunction", FunctionErrorFault("RuntimeError", "boom"), after=1)
    app.fake_stripe.fail(CANCEL_ATTEMPTS, 503, path=r"/cancel$")
    order_ids = []
    for email, (token, ending) in CHECKOUTS.items():
        placed = shop.place_order([{"sku": SHIRT, "quantity": 1}], token, email=email)
        assert placed.status == 202, placed.body
        order_ids.append(placed.body["orderId"])
        assert app.wait_for_execution(order_ids[-1])["status"] == ending
    refused = shop.place_order([{"sku": SHIRT, "quantity": 1}], CARD_NUMBER, email="x@example.com")
    assert refused.status == 422
    for email in CHECKOUTS:
        assert eventually(lambda address=email: shop.emails_to(address)), email
    [schedule] = [s for s in app.schedules if s.function.logical_id == "ReconcileOrdersFunction"]
    app.lambdas.invoke(
        schedule.function.name, scheduled_event(schedule.function, schedule.schedule)
    )
    time.sleep(0.5)  # the last segments and log lines are in flight on their sockets and pipes
    app.lambdas.clear_faults()
    app.fake_stripe.clear_faults()
    return order_ids


# X-Ray's own random ids: 16 or 24 hex digits, which are sometimes all decimal and Luhn-valid.
XRAY_IDS = {"id", "parent_id", "trace_id"}


def without_ids(segment: dict) -> dict:
    """The segment's content: what the function put there, not the ids X-Ray draws for it."""
    return {
        key: [without_ids(s) for s in value] if key == "subsegments" else value
        for key, value in segment.items()
        if key not in XRAY_IDS
    }


def where(found: dict[str, list[str]]) -> dict[str, list[str]]:
    return {place: secrets for place, secrets in found.items() if secrets}


def test_no_log_line_of_any_function_shows_a_token_an_address_or_a_card_number(run, logs):
    by_function = {function for function, _ in logs}
    assert by_function >= {
        "OrdersApiFunction",
        "QuotePricesFunction",
        "RegisterPaymentFunction",
        "ReserveStockFunction",
        "ChargePaymentFunction",
        "CommitStockFunction",
        "RefundPaymentFunction",
        "ReleaseStockFunction",
        "UpdateOrderStatusFunction",
        "SendNotificationFunction",
        "ReconcileOrdersFunction",
    }
    assert where({f"{f}: {line}": secrets_in(line) for f, line in logs}) == {}


def test_no_trace_segment_shows_a_token_an_address_or_a_card_number(run, daemon):
    segments = daemon.segments()
    handlers = {s["annotations"]["Service"] for s in segments if s["name"] == "## handler"}
    assert handlers == {"orders", "inventory", "payments", "notifications"}
    assert where({json.dumps(s): secrets_in(json.dumps(without_ids(s))) for s in segments}) == {}


def test_the_stripe_secret_key_shows_in_no_log_line_or_trace_segment(run, logs, daemon):
    """The payments functions read it from Secrets Manager and hand it to the SDK only."""
    assert any(f == "ChargePaymentFunction" for f, _ in logs)  # they ran, and paid through Stripe
    assert not [line for _, line in logs if LOCAL_SECRET_KEY in line]
    assert not [d for d in daemon.datagrams if LOCAL_SECRET_KEY in d]


def test_alerts_name_the_order_and_what_failed_and_nothing_of_the_customer(run, shop):
    alerts = shop.alerts()
    [alert] = [a for a in alerts if a["orderId"] == run[2]]
    assert alert["alert"] == "CompensationFailed"
    assert alert["failedSteps"]["RefundPayment"]["Error"] == "PaymentProviderUnavailable"
    assert (alert["error"], alert["executionArn"].rsplit(":", 1)[1]) == ("RuntimeError", run[2])
    assert where({json.dumps(a): secrets_in(json.dumps(a)) for a in alerts}) == {}


def test_histories_and_events_carry_the_payment_reference_never_the_token(run, app, shop):
    histories = {order_id: json.dumps(app.history(order_id), default=str) for order_id in run}
    events = shop.events()
    assert all("payref_" in history for history in histories.values())
    assert {e["detail"]["orderId"] for e in events} >= set(run)
    found = {f"history of {o}": secrets_in(h, emails=False) for o, h in histories.items()}
    found |= {json.dumps(e): secrets_in(json.dumps(e), emails=False) for e in events}
    assert where(found) == {}


def test_only_the_payments_registrations_hold_a_token(run, app):
    dynamodb = app.client("dynamodb")
    holding = {}
    for table in app.model.tables:
        for item in dynamodb.scan(TableName=table.name)["Items"]:
            text = json.dumps(item)
            if secrets_in(text, emails=False):
                holding.setdefault(table.logical_id, []).append(item["pk"]["S"].split("#")[0])
    assert holding == {"PaymentsTable": ["PAYMENTREF"] * len(CHECKOUTS)}


def test_no_execution_history_or_event_shows_an_email_address(run, app, shop):
    found = {f"history of {o}": secrets_in(json.dumps(app.history(o), default=str)) for o in run}
    found |= {json.dumps(e): secrets_in(json.dumps(e)) for e in shop.events()}
    assert where(found) == {}


@pytest.mark.parametrize(
    "text",
    [
        '{"paymentToken": "tok_visa"}',
        "charging tok_live_4eC39HqLyjWDarjtT1zdp7dc",
        "to ada.lovelace+orders@example.co.uk",
        "card 4242424242424242",
        "card 4242 4242 4242 4242",
        "card 5555-5555-5555-4444",
        "amex 378282246310005",
    ],
)
def test_the_detector_finds_each_kind_of_secret(text):
    assert secrets_in(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"timestamp": 1764638913123, "orderId": "a6198bf4-c1e3-5850-b8c9-71a8aa9817a8"}',
        "payref_1a08236055bd5e1dbb20becc71bf5f9e, 1-6b0f7538-fb24a4ce2b3c13096900da2d",
        "stock_reserved, amountCents 4048, 4242424242424241 (not Luhn-valid)",
        "paymentToken, nextToken, Idempotency-Key",
        "request ids abd46f1f-be30-4904-8987-4682f914814c, 12345678-1234-1234-1234-123456789012",
    ],
)
def test_the_detector_passes_ids_timestamps_and_amounts(text):
    assert secrets_in(text) == []


def test_card_numbers_are_found_whatever_separates_their_digits():
    assert card_like_numbers("4111 1111 1111 1111 and 4111-1111-1111-1111") == [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
    ]


def test_a_segment_is_scanned_for_what_it_carries_not_for_its_random_ids():
    drawn = "6213636636962947"  # a segment id X-Ray drew: all decimal, Luhn-valid
    segment = {
        "id": drawn,
        "annotations": {"note": CARD_NUMBER},
        "subsegments": [{"id": drawn, "parent_id": drawn, "metadata": {"token": "pm_card_visa"}}],
    }
    assert secrets_in(json.dumps(segment)) == ["pm_card_visa", drawn, CARD_NUMBER, drawn, drawn]
    assert secrets_in(json.dumps(without_ids(segment))) == ["pm_card_visa", CARD_NUMBER]
