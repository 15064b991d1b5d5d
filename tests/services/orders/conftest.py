import importlib
import io
import json

import boto3
import pytest
from moto import mock_aws

from orders_service.adapters.payments import PaymentRegistration
from orders_service.adapters.pricing import InventoryPricing
from tests.support.aws import set_aws_environment
from tests.support.cfn import create_table
from tests.support.lambda_context import LambdaContext

# orders_service.observability creates its Metrics (with their namespace) when first imported,
# and use-case test modules import it at collection, before any fixture runs: import it here
# under the service's environment, restored right after.
with pytest.MonkeyPatch.context() as collection_time:
    set_aws_environment(collection_time, "orders")
    from orders_service.observability import metrics

STATE_MACHINE_NAME = "checkout-test-checkout"
STATE_MACHINE_ARN = f"arn:aws:states:us-east-1:123456789012:stateMachine:{STATE_MACHINE_NAME}"
QUOTE_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:quote-prices"
SITE_ORIGIN = "https://shop.example.com"
REGISTER_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:register-payment"

CATALOG = {
    "SKU-TSHIRT-BLK-M": ("Classic T-Shirt, Black, M", 1299),
    "SKU-MUG-WHT-12OZ": ("Ceramic Mug, White, 12 oz", 1450),
}


class FakeQuotePrices:
    """Stands in for inventory's QuotePrices Lambda contract (moto cannot run Lambdas)."""

    def __init__(self):
        self.calls = 0
        self.unavailable = False

    def invoke(self, FunctionName, Payload):
        assert FunctionName == QUOTE_FUNCTION_ARN
        self.calls += 1
        if self.unavailable:
            return self._error("Sandbox.Timedout", "Task timed out after 10.00 seconds")
        items = json.loads(Payload)["items"]
        unknown = [i["sku"] for i in items if i["sku"] not in CATALOG]
        if unknown:
            return self._error("UnknownSku", f"unknown sku(s): {', '.join(unknown)}")
        priced = [
            {**i, "name": CATALOG[i["sku"]][0], "unitPriceCents": CATALOG[i["sku"]][1]}
            for i in items
        ]
        total = sum(i["quantity"] * i["unitPriceCents"] for i in priced)
        return self._ok({"currency": "USD", "amountCents": total, "items": priced})

    @staticmethod
    def _ok(payload):
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(payload).encode())}

    @staticmethod
    def _error(error_type, message):
        body = {"errorType": error_type, "errorMessage": message}
        return {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": io.BytesIO(json.dumps(body).encode()),
        }


class FakeRegisterPayment:
    """Stands in for payments' RegisterPayment Lambda contract: keeps the first token per order
    and answers one opaque reference per order."""

    def __init__(self):
        self.tokens: dict[str, str] = {}
        self.unavailable = False

    def invoke(self, FunctionName, Payload):
        assert FunctionName == REGISTER_FUNCTION_ARN
        if self.unavailable:
            return FakeQuotePrices._error("Sandbox.Timedout", "Task timed out after 10.00 seconds")
        request = json.loads(Payload)
        self.tokens.setdefault(request["orderId"], request["paymentToken"])
        reference = f"payref_{list(self.tokens).index(request['orderId']):032x}"
        return FakeQuotePrices._ok({"paymentReference": reference})


@pytest.fixture
def aws(monkeypatch):
    set_aws_environment(
        monkeypatch,
        "orders",
        CHECKOUT_STATE_MACHINE_ARN=STATE_MACHINE_ARN,
        QUOTE_PRICES_FUNCTION_ARN=QUOTE_FUNCTION_ARN,
        REGISTER_PAYMENT_FUNCTION_ARN=REGISTER_FUNCTION_ARN,
        RECONCILE_AFTER_SECONDS="900",
        ALLOWED_ORIGIN=SITE_ORIGIN,
    )
    with mock_aws():
        table = create_table(
            boto3.resource("dynamodb"), "services/orders/template.yaml", "OrdersTable"
        )
        monkeypatch.setenv("ORDERS_TABLE_NAME", table.name)
        sfn = boto3.client("stepfunctions")
        sfn.create_state_machine(
            name=STATE_MACHINE_NAME,
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/checkout",
        )
        yield {"table": table, "sfn": sfn}


@pytest.fixture(autouse=True)
def recorded_metrics():
    """What the code under test counted; nothing carries over to the next test."""
    metrics.clear_metrics()
    yield lambda: {name: len(metric["Value"]) for name, metric in metrics.metric_set.items()}
    metrics.clear_metrics()


@pytest.fixture
def context():
    return LambdaContext(function_name="orders-api")


@pytest.fixture
def orders_api(aws):
    """The API handler module, imported inside the mock so its clients talk to moto."""
    from orders_service.handlers import orders_api as module

    module = importlib.reload(module)
    module.pricing = InventoryPricing(FakeQuotePrices(), QUOTE_FUNCTION_ARN)
    module.payments = PaymentRegistration(FakeRegisterPayment(), REGISTER_FUNCTION_ARN)
    return module


@pytest.fixture
def update_order_status(aws):
    from orders_service.handlers import update_order_status as module

    return importlib.reload(module)


def executions(aws):
    return aws["sfn"].list_executions(stateMachineArn=STATE_MACHINE_ARN)["executions"]


def orders_in_table(aws):
    return [i for i in aws["table"].scan()["Items"] if i["pk"].startswith("ORDER#")]
