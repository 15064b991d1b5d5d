"""Fixtures for the payments tests: a moto table built from the service's own template, and
handler modules imported fresh per test (they bind the table and provider at import)."""

import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVICE_DIR = REPO_ROOT / "services" / "payments"
EVENTS_DIR = REPO_ROOT / "events" / "payments"
TABLE_NAME = "payments-test"

ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "PAYMENTS_TABLE_NAME": TABLE_NAME,
    "PAYMENT_PROVIDER": "simulated",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "payments",
    "POWERTOOLS_METRICS_NAMESPACE": "Ecommerce",
}
# Before any handler module is imported: they read these at import time.
os.environ.update(ENVIRONMENT)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from payments_service.repository import PaymentRepository  # noqa: E402
from payments_service.simulated_provider import SimulatedProvider  # noqa: E402


class _CloudFormationLoader(yaml.SafeLoader):
    """Accepts !Ref / !Sub / !GetAtt; the table definition does not depend on their values."""


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_template() -> dict:
    return yaml.load((SERVICE_DIR / "template.yaml").read_text(), Loader=_CloudFormationLoader)


def create_table_from_template(dynamodb):
    properties = load_template()["Resources"]["PaymentsTable"]["Properties"]
    return dynamodb.create_table(
        TableName=TABLE_NAME,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        **(
            {"GlobalSecondaryIndexes": properties["GlobalSecondaryIndexes"]}
            if "GlobalSecondaryIndexes" in properties
            else {}
        ),
    )


def load_event(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())


def import_fresh(module: str):
    """Imports a handler module again, as a cold start would."""
    sys.modules.pop(module, None)
    return importlib.import_module(module)


@dataclass
class LambdaContext:
    function_name: str = "payments-test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:payments-test-function"
    )
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"


@pytest.fixture(autouse=True)
def _payments_environment(monkeypatch):
    """Other services' conftests set the same variable names when the whole suite runs."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture(scope="session")
def template() -> dict:
    return load_template()


@pytest.fixture
def table():
    with mock_aws():
        yield create_table_from_template(boto3.resource("dynamodb", region_name="us-east-1"))


@pytest.fixture
def repository(table) -> PaymentRepository:
    return PaymentRepository(table)


@pytest.fixture
def provider(table) -> SimulatedProvider:
    return SimulatedProvider(table)


@pytest.fixture
def charge_handler(table):
    return import_fresh("payments_service.handlers.charge_payment")


@pytest.fixture
def refund_handler(table):
    return import_fresh("payments_service.handlers.refund_payment")


@pytest.fixture
def snapshot(table):
    """Whole-table contents by pk, to prove what an error path did (not) write."""

    def take() -> dict[str, dict]:
        items, kwargs = [], {"ConsistentRead": True}
        while True:
            page = table.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return {item["pk"]: item for item in items}
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    return take


@pytest.fixture(name="load_event")
def load_event_fixture():
    """Loads events/payments/<name>; a fixture because tests cannot import conftest."""
    return load_event
