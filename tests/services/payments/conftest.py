"""Fixtures for the payments tests: a moto table built from the service's own template, the
repository and the sandbox provider on it for the use-case tests, and handler modules imported
fresh per test for the handler tests (they read their settings and build their clients at
import)."""

import importlib
import sys

import boto3
import pytest
from moto import mock_aws

from tests.support.aws import set_aws_environment
from tests.support.cfn import create_table, load_template, table_items
from tests.support.events import service_events

TEMPLATE = "services/payments/template.yaml"
TABLE_NAME = "payments-test"

# payments_service.observability names its logger and metrics after POWERTOOLS_SERVICE_NAME when
# first imported, and the test modules import it at collection, before any fixture runs. Import it
# here, under the service's environment restored right after, so the use cases log and count as
# they do in Lambda, and nothing is left in os.environ for the other services' tests.
with pytest.MonkeyPatch.context() as collection_time:
    set_aws_environment(collection_time, "payments")
    from payments_service.adapters.simulated_provider import SimulatedProvider
    from payments_service.models import RegisterPaymentRequest
    from payments_service.observability import metrics
    from payments_service.registering import register_payment
    from payments_service.repository import PaymentRepository


def import_fresh(module: str):
    """Imports a handler module again, as a cold start would."""
    sys.modules.pop(module, None)
    return importlib.import_module(module)


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """Every test: the handler modules read these at import, and some tests change them."""
    set_aws_environment(
        monkeypatch, "payments", PAYMENTS_TABLE_NAME=TABLE_NAME, PAYMENT_PROVIDER="simulated"
    )


@pytest.fixture(scope="session")
def template() -> dict:
    return load_template(TEMPLATE)


@pytest.fixture
def table():
    with mock_aws():
        yield create_table(boto3.resource("dynamodb"), TEMPLATE, "PaymentsTable", TABLE_NAME)


@pytest.fixture
def dynamodb(table):
    return boto3.client("dynamodb")


@pytest.fixture
def payments(dynamodb) -> PaymentRepository:
    return PaymentRepository(dynamodb, TABLE_NAME)


@pytest.fixture
def provider(dynamodb) -> SimulatedProvider:
    return SimulatedProvider(dynamodb, TABLE_NAME)


@pytest.fixture
def counted():
    """What the use cases counted so far, by metric name (Powertools keeps the metric set until
    a handler flushes it), cleared around each test."""
    metrics.clear_metrics()
    yield lambda: {name: len(metric["Value"]) for name, metric in metrics.metric_set.items()}
    metrics.clear_metrics()


@pytest.fixture
def metadata(counted) -> dict:
    """The metadata added with those metrics (the same set, cleared with them)."""
    return metrics.metadata_set


@pytest.fixture
def charge_handler(table):
    return import_fresh("payments_service.handlers.charge_payment")


@pytest.fixture
def register_handler(table):
    return import_fresh("payments_service.handlers.register_payment")


@pytest.fixture
def capture_handler(table):
    return import_fresh("payments_service.handlers.capture_payment")


@pytest.fixture
def refund_handler(table):
    return import_fresh("payments_service.handlers.refund_payment")


@pytest.fixture
def snapshot(table):
    """Whole-table contents by pk, to prove what an error path did (not) write."""

    def take() -> dict[str, dict]:
        return {item["pk"]: item for item in table_items(table)}

    return take


@pytest.fixture(name="load_event")
def load_event_fixture():
    """Loads events/payments/<name> (the same files `sam local invoke` uses)."""
    return service_events("payments")


@pytest.fixture
def register(payments):
    """Registers an order's token as placing the order does; answers the payment reference."""

    def run(order_id: str, token: str) -> str:
        request = RegisterPaymentRequest.model_validate(
            {"orderId": order_id, "paymentToken": token}
        )
        return register_payment(request, payments=payments)["paymentReference"]

    return run


@pytest.fixture
def paying_event(load_event, register):
    """A charge sample event (`charge-payment*.json`) with `changes`, after its order's token was
    registered: the token of the matching `register-payment*.json` sample, or `paymentToken`."""

    def build(event: str = "charge-payment.json", paymentToken: str | None = None, **changes):
        charge = load_event(event) | changes
        token = paymentToken or load_event(event.replace("charge-", "register-"))["paymentToken"]
        return charge | {"paymentReference": register(charge["orderId"], token)}

    return build
