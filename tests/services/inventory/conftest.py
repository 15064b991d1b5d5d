"""Fixtures for the inventory tests: a moto table built from the service's own template."""

import importlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVICE_DIR = REPO_ROOT / "services" / "inventory"
EVENTS_DIR = REPO_ROOT / "events" / "inventory"
TABLE_NAME = "inventory-test"

# Before any handler module is imported: they read these at import time.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "INVENTORY_TABLE_NAME": TABLE_NAME,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "inventory",
        "POWERTOOLS_METRICS_NAMESPACE": "Ecommerce",
    }
)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from inventory_service.repository import InventoryRepository  # noqa: E402


class _CloudFormationLoader(yaml.SafeLoader):
    """Accepts !Ref / !Sub / !GetAtt; the table definition does not depend on their values."""


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_template() -> dict:
    return yaml.load((SERVICE_DIR / "template.yaml").read_text(), Loader=_CloudFormationLoader)


def create_table_from_template(dynamodb) -> object:
    properties = load_template()["Resources"]["InventoryTable"]["Properties"]
    return dynamodb.create_table(
        TableName=TABLE_NAME,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        GlobalSecondaryIndexes=properties.get("GlobalSecondaryIndexes", []),
    )


def load_event(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())


def sample_catalog() -> list[dict]:
    return json.loads((SERVICE_DIR / "catalog.sample.json").read_text())["products"]


@dataclass
class LambdaContext:
    function_name: str = "inventory-test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:inventory-test-function"
    )
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"


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
def repository(table) -> InventoryRepository:
    return InventoryRepository(table)


@pytest.fixture
def catalog(repository) -> dict[str, dict]:
    """The sample catalog seeded through the repository, by sku."""
    products = sample_catalog()
    for product in products:
        repository.put_product(
            sku=product["sku"],
            name=product["name"],
            price_cents=product["priceCents"],
            stock=product["stock"],
        )
    return {product["sku"]: product for product in products}


@pytest.fixture
def snapshot(table):
    """Whole-table contents, to prove that an error path wrote nothing."""

    def take() -> list[dict]:
        items, kwargs = [], {"ConsistentRead": True}
        while True:
            page = table.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return sorted(items, key=lambda item: item["pk"])
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    return take


@pytest.fixture
def stock(table):
    def read(sku: str) -> int:
        return int(
            table.get_item(Key={"pk": f"PRODUCT#{sku}"}, ConsistentRead=True)["Item"]["stock"]
        )

    return read


@pytest.fixture
def handler_module(monkeypatch, repository):
    """Imports a handler module and points its module-level repository at the moto table."""

    def load(name: str):
        module = importlib.import_module(f"inventory_service.handlers.{name}")
        monkeypatch.setattr(module, "repository", repository)
        return module

    return load


@pytest.fixture
def emitted_metrics(capsys):
    """Metric names in the EMF blobs Powertools printed since the last call."""

    def read() -> list[str]:
        names = []
        for line in capsys.readouterr().out.splitlines():
            if '"_aws"' not in line:
                continue
            for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
                names.extend(metric["Name"] for metric in directive["Metrics"])
        return names

    return read


@pytest.fixture
def event():
    """Loads a sample event from events/inventory/ (the same files `sam local invoke` uses)."""
    return load_event
