"""The fault matrix: every task of the checkout under every kind of fault, one order per cell
through the HTTP API. After `settle()` (Step Functions' status-change events delivered as on
AWS, the reconciler's sweep) the order ends as docs/checkout-state-machine.md designs it and
every invariant holds for it.

The kinds of fault, for a Lambda task (`retries`: 3 for a forward step, 4 for a compensation):
- recovers: as many transient faults as the retries (a Lambda service error, a timeout, a crash
  before any write, throttling): the last attempt succeeds;
- exhausted: one more than the retries: the step fails and what was done so far is undone;
- exhausted after its write: the first attempt's write lands but its answer is lost (a crash
  after the handler), then transient faults use up the retries: a step that failed but took
  effect, which its compensation must undo too;
- permanent: the business error the product produces (out of stock, a declined card), or where
  there is none an error no retry matches (a bug, a refused payload, a refused transition);
- crash after write: one crash after the handler's write (CrashAfterHandlerFault);
- duplicate: the task delivered twice (DuplicateDeliveryFault).
Service integrations (putEvents, the alerts queue) get failures that recover and that exhaust.

Forward steps run on an order that pays; compensations on one whose CommitStock fails (a bug
after the money was taken), so each has real work to undo.
"""

import json
from dataclasses import dataclass

import pytest

from localrun.lambdas import (
    CrashAfterHandlerFault,
    DuplicateDeliveryFault,
    FunctionErrorFault,
    ServiceErrorFault,
    TimeoutFault,
)
from localrun.seams import ApiErrorFault, FailedEntriesFault
from localrun.soak import StatusChanges
from tests.reliability.conftest import settle

RECOVERS = "recovers"
EXHAUSTED = "exhausted"
WRITE_THEN_EXHAUSTED = "exhausted after its write"
PERMANENT = "permanent"
CRASH_AFTER_WRITE = "crash after write"
DUPLICATE = "duplicate"
# How an execution ends: it succeeds, or fails with its Fail state's error or a task's.
SUCCEEDED, CHECKOUT_FAILED, COMPENSATION_FAILED = (
    "SUCCEEDED",
    "CheckoutFailed",
    "CompensationFailed",
)
NOT_PUBLISHED, QUEUE_ERROR = "OutcomeNotPublished", "SQS.SdkClientException"
CONFIRMED, FAILED = "CONFIRMED", "FAILED"
# An order's reason: the error of the step that failed it, or the reconciler's.
THROTTLED = "Lambda.TooManyRequestsException"  # the last of the transient faults, exhausted
CRASHED = "Runtime.ExitError"
OUT_OF_STOCK, DECLINED = "OutOfStock", "PaymentDeclined"
BUG = "RuntimeError"
FAILED_ENTRY = "EventBridge.FailedEntry"
INTERRUPTED = "CheckoutInterrupted"  # the reconciler failed an order its checkout could not

FUNCTIONS = {
    "ReserveStock": "ReserveStockFunction",
    "ChargePayment": "ChargePaymentFunction",
    "CommitStock": "CommitStockFunction",
    "CapturePayment": "CapturePaymentFunction",
    "ConfirmOrder": "UpdateOrderStatusFunction",
    "RefundPayment": "RefundPaymentFunction",
    "ReleaseStock": "ReleaseStockFunction",
    "MarkOrderFailed": "UpdateOrderStatusFunction",
}
COMPENSATIONS = ("RefundPayment", "ReleaseStock", "MarkOrderFailed")
# Transient faults, in the order injected; the error each leaves in the history.
TRANSIENT = (
    ServiceErrorFault("ServiceException"),  # Lambda.ServiceException
    TimeoutFault(),  # Sandbox.Timedout
    FunctionErrorFault("Runtime.ExitError"),  # a crash before any write
    ServiceErrorFault("TooManyRequestsException", 429),  # Lambda.TooManyRequestsException
    FunctionErrorFault("ProvisionedThroughputExceededException"),
)
# Where a task has no business error of its own: an error no retry of that task matches.
NOT_RETRIED = {
    "CommitStock": FunctionErrorFault("RuntimeError"),
    "CapturePayment": FunctionErrorFault("RuntimeError"),
    "ConfirmOrder": FunctionErrorFault("RuntimeError"),
    "RefundPayment": FunctionErrorFault("ValidationError"),
    "ReleaseStock": FunctionErrorFault("ValidationError"),
    "MarkOrderFailed": FunctionErrorFault("InvalidStatusTransition"),
}
# The integrations: which call of the run each state is, and the fault it gets.
INTEGRATIONS = {
    "PublishOrderPlaced": ("events:putEvents", 0, FailedEntriesFault()),
    "PublishOrderConfirmed": ("events:putEvents", 1, FailedEntriesFault()),
    "PublishOrderFailed": ("events:putEvents", 1, FailedEntriesFault()),
    "AlertCompensationFailed": ("sqs:sendMessage", 0, ApiErrorFault("InternalError")),
    "AlertCaptureFailed": ("sqs:sendMessage", 0, ApiErrorFault("InternalError")),
    "AlertOutcomeNotPublished": ("sqs:sendMessage", 0, ApiErrorFault("InternalError")),
}
INTEGRATION_RETRIES = 3
STOCK, QUANTITY = 5, 2
# The permanent faults the product produces itself: a cart bigger than the stock, a declined card.
BUSINESS_ERRORS = {
    "ReserveStock": {"quantity": STOCK + 1},
    "ChargePayment": {"token": "tok_chargeDeclined"},
}
# A bug in CommitStock after the money was taken: the compensations' path.
COMMIT_FAILS = ("CommitStockFunction", FunctionErrorFault("RuntimeError"))


@dataclass(frozen=True)
class Cell:
    state: str
    fault: str
    # what the design says happens
    execution_ends: str  # SUCCEEDED, or the error the execution failed with
    status: str
    reason: str | None
    attempts: int  # of the state's task

    def __str__(self) -> str:
        return f"{self.state}: {self.fault}"


# fmt: off
MATRIX = {
    # fault:                 execution ends       order      reason         attempts of the task
    "ReserveStock": [
        (RECOVERS,             SUCCEEDED,           CONFIRMED, None,          4),
        (EXHAUSTED,            CHECKOUT_FAILED,     FAILED,    THROTTLED,     4),
        (WRITE_THEN_EXHAUSTED, CHECKOUT_FAILED,     FAILED,    CRASHED,       4),
        (PERMANENT,            CHECKOUT_FAILED,     FAILED,    OUT_OF_STOCK,  1),
        (CRASH_AFTER_WRITE,    SUCCEEDED,           CONFIRMED, None,          2),
        (DUPLICATE,            SUCCEEDED,           CONFIRMED, None,          1),
    ],
    "ChargePayment": [
        (RECOVERS,             SUCCEEDED,           CONFIRMED, None,          4),
        (EXHAUSTED,            CHECKOUT_FAILED,     FAILED,    THROTTLED,     4),
        (WRITE_THEN_EXHAUSTED, CHECKOUT_FAILED,     FAILED,    CRASHED,       4),
        (PERMANENT,            CHECKOUT_FAILED,     FAILED,    DECLINED,      1),
        (CRASH_AFTER_WRITE,    SUCCEEDED,           CONFIRMED, None,          2),
        (DUPLICATE,            SUCCEEDED,           CONFIRMED, None,          1),
    ],
    "CommitStock": [
        (RECOVERS,             SUCCEEDED,           CONFIRMED, None,          4),
        (EXHAUSTED,            CHECKOUT_FAILED,     FAILED,    THROTTLED,     4),
        (WRITE_THEN_EXHAUSTED, CHECKOUT_FAILED,     FAILED,    CRASHED,       4),
        (PERMANENT,            CHECKOUT_FAILED,     FAILED,    BUG,           1),
        (CRASH_AFTER_WRITE,    SUCCEEDED,           CONFIRMED, None,          2),
        (DUPLICATE,            SUCCEEDED,           CONFIRMED, None,          1),
    ],
    # Past its retries an operator is alerted, and the authorization cancelled; captured after
    # its write (the capture landed), the compensation refunds instead.
    "CapturePayment": [
        (RECOVERS,             SUCCEEDED,           CONFIRMED, None,          4),
        (EXHAUSTED,            CHECKOUT_FAILED,     FAILED,    THROTTLED,     4),
        (WRITE_THEN_EXHAUSTED, CHECKOUT_FAILED,     FAILED,    CRASHED,       4),
        (PERMANENT,            CHECKOUT_FAILED,     FAILED,    BUG,           1),
        (CRASH_AFTER_WRITE,    SUCCEEDED,           CONFIRMED, None,          2),
        (DUPLICATE,            SUCCEEDED,           CONFIRMED, None,          1),
    ],
    "ConfirmOrder": [
        (RECOVERS,             SUCCEEDED,           CONFIRMED, None,          4),
        (EXHAUSTED,            CHECKOUT_FAILED,     FAILED,    THROTTLED,     4),
        # CONFIRMED was written, then the step failed: the sale is undone, the order FAILED.
        (WRITE_THEN_EXHAUSTED, CHECKOUT_FAILED,     FAILED,    CRASHED,       4),
        (PERMANENT,            CHECKOUT_FAILED,     FAILED,    BUG,           1),
        (CRASH_AFTER_WRITE,    SUCCEEDED,           CONFIRMED, None,          2),
        (DUPLICATE,            SUCCEEDED,           CONFIRMED, None,          1),
    ],
    # The compensations, after CommitStock failed with a bug (the order's reason). One that
    # still fails after its retries flags the order, and the reconciler finishes its work.
    "RefundPayment": [
        (RECOVERS,             CHECKOUT_FAILED,     FAILED,    BUG,           5),
        (EXHAUSTED,            COMPENSATION_FAILED, FAILED,    BUG,           5),
        (WRITE_THEN_EXHAUSTED, COMPENSATION_FAILED, FAILED,    BUG,           5),
        (PERMANENT,            COMPENSATION_FAILED, FAILED,    BUG,           1),
        (CRASH_AFTER_WRITE,    CHECKOUT_FAILED,     FAILED,    BUG,           2),
        (DUPLICATE,            CHECKOUT_FAILED,     FAILED,    BUG,           1),
    ],
    "ReleaseStock": [
        (RECOVERS,             CHECKOUT_FAILED,     FAILED,    BUG,           5),
        (EXHAUSTED,            COMPENSATION_FAILED, FAILED,    BUG,           5),
        (WRITE_THEN_EXHAUSTED, COMPENSATION_FAILED, FAILED,    BUG,           5),
        (PERMANENT,            COMPENSATION_FAILED, FAILED,    BUG,           1),
        (CRASH_AFTER_WRITE,    CHECKOUT_FAILED,     FAILED,    BUG,           2),
        (DUPLICATE,            CHECKOUT_FAILED,     FAILED,    BUG,           1),
    ],
    "MarkOrderFailed": [
        (RECOVERS,             CHECKOUT_FAILED,     FAILED,    BUG,           5),
        # Not recorded: PENDING until the end of its execution reaches the reconciler.
        (EXHAUSTED,            COMPENSATION_FAILED, FAILED,    INTERRUPTED,   5),
        (WRITE_THEN_EXHAUSTED, COMPENSATION_FAILED, FAILED,    BUG,           5),
        (PERMANENT,            COMPENSATION_FAILED, FAILED,    INTERRUPTED,   1),
        (CRASH_AFTER_WRITE,    CHECKOUT_FAILED,     FAILED,    BUG,           2),
        (DUPLICATE,            CHECKOUT_FAILED,     FAILED,    BUG,           1),
    ],
    "PublishOrderPlaced": [
        (RECOVERS,             SUCCEEDED,           CONFIRMED, None,          4),
        (EXHAUSTED,            CHECKOUT_FAILED,     FAILED,    FAILED_ENTRY,  4),
    ],
    # The sale stands when its event cannot be published; operators are alerted to publish it.
    "PublishOrderConfirmed": [
        (RECOVERS,             SUCCEEDED,           CONFIRMED, None,          4),
        (EXHAUSTED,            NOT_PUBLISHED,       CONFIRMED, None,          4),
    ],
    "PublishOrderFailed": [
        (RECOVERS,             CHECKOUT_FAILED,     FAILED,    BUG,           4),
        (EXHAUSTED,            COMPENSATION_FAILED, FAILED,    BUG,           4),
    ],
    # On an order whose refund keeps failing: flagged before the alert, so the reconciler has it.
    "AlertCompensationFailed": [
        (RECOVERS,             COMPENSATION_FAILED, FAILED,    BUG,           4),
        (EXHAUSTED,            QUEUE_ERROR,         FAILED,    BUG,           4),
    ],
    # On an order whose capture failed with a bug: the compensations run whether or not the
    # alert could be sent.
    "AlertCaptureFailed": [
        (RECOVERS,             CHECKOUT_FAILED,     FAILED,    BUG,           4),
        (EXHAUSTED,            CHECKOUT_FAILED,     FAILED,    BUG,           4),
    ],
    # On a confirmed order whose OrderConfirmed cannot be published.
    "AlertOutcomeNotPublished": [
        (RECOVERS,             NOT_PUBLISHED,       CONFIRMED, None,          4),
        (EXHAUSTED,            QUEUE_ERROR,         CONFIRMED, None,          4),
    ],
}
# fmt: on
CELLS = [Cell(state, *row) for state, rows in MATRIX.items() for row in rows]


def sku_of(cell: Cell) -> str:
    """Each cell sells its own product, so its stock is checked exactly."""
    return f"SKU-FAULTS-{CELLS.index(cell):02d}"


@pytest.fixture(scope="module")
def products(shop, tmp_path_factory):
    products = [
        {"sku": sku_of(cell), "name": str(cell), "priceCents": 1000, "stock": STOCK}
        for cell in CELLS
    ]
    catalog = tmp_path_factory.mktemp("catalog") / "faults.json"
    catalog.write_text(json.dumps({"currency": "USD", "products": products}))
    shop.seed_catalog(catalog)


@pytest.fixture(scope="module")
def status_changes(app):
    return StatusChanges(app)


def lambda_faults(cell: Cell) -> list:
    retries = 4 if cell.state in COMPENSATIONS else 3
    return {
        RECOVERS: list(TRANSIENT[:retries]),
        EXHAUSTED: [TRANSIENT[i % len(TRANSIENT)] for i in range(retries + 1)],
        WRITE_THEN_EXHAUSTED: [CrashAfterHandlerFault(), *TRANSIENT[:retries]],
        PERMANENT: [NOT_RETRIED[cell.state]] if cell.state in NOT_RETRIED else [],
        CRASH_AFTER_WRITE: [CrashAfterHandlerFault()],
        DUPLICATE: [DuplicateDeliveryFault()],
    }[cell.fault]


def inject(app, cell: Cell) -> None:
    """The cell's faults, and what puts its order on the path that runs its state."""
    if cell.state in (*COMPENSATIONS, "PublishOrderFailed", "AlertCompensationFailed"):
        app.lambdas.inject(*COMMIT_FAILS)
    if cell.state == "AlertCompensationFailed":
        app.lambdas.inject("RefundPaymentFunction", FunctionErrorFault("RuntimeError"), times=5)
    if cell.state == "AlertCaptureFailed":
        app.lambdas.inject("CapturePaymentFunction", FunctionErrorFault("RuntimeError"))
    if cell.state == "AlertOutcomeNotPublished":
        app.seams.inject("events:putEvents", FailedEntriesFault(), times=4, after=1)
    if cell.state in FUNCTIONS:
        for fault in lambda_faults(cell):
            app.lambdas.inject(FUNCTIONS[cell.state], fault)
        return
    target, after, fault = INTEGRATIONS[cell.state]
    times = INTEGRATION_RETRIES + (cell.fault == EXHAUSTED)
    app.seams.inject(target, fault, times=times, after=after)


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_fault_matrix(app, shop, products, status_changes, cell):
    sku = sku_of(cell)
    order = {"quantity": QUANTITY, "token": "tok_visa"}
    if cell.fault == PERMANENT:
        order |= BUSINESS_ERRORS.get(cell.state, {})
    records_before = len(app.lambdas.records)
    inject(app, cell)

    placed = shop.place_order(
        [{"sku": sku, "quantity": order["quantity"]}], order["token"], email=f"{sku}@example.com"
    )
    assert placed.status == 202, placed.body
    order_id = placed.body["orderId"]
    execution = app.wait_for_execution(order_id, timeout=120)
    runs = [
        r
        for r in list(app.lambdas.records)[records_before:]
        if r.function == FUNCTIONS.get(cell.state)
    ]
    app.lambdas.clear_faults()
    app.seams.clear_faults()
    violations = settle(app, shop, {sku: STOCK}, status_changes=status_changes)

    settled = shop.order(order_id)
    [step] = [s for s in shop.route(order_id) if s.name == cell.state]
    observed = Cell(
        cell.state,
        cell.fault,
        execution.get("error", execution["status"]),
        settled["status"],
        settled.get("reason"),
        step.attempts,
    )
    assert observed == cell
    assert [v for v in violations if v.subject in (order_id, sku)] == []
    if cell.fault == DUPLICATE:  # Step Functions saw one attempt; the handler ran twice
        assert [r.error_type for r in runs] == [None, None]


def test_after_the_whole_matrix_every_invariant_holds(app, shop, products, status_changes):
    """Runs last: what every cell left behind, together, is consistent."""
    seeded = {sku_of(cell): STOCK for cell in CELLS}
    assert settle(app, shop, seeded, status_changes=status_changes) == []
