"""Fixtures for the inventory tests: a moto table built from the service's own template."""

import importlib
import json
import runpy

import boto3
import pytest
from moto import mock_aws

from inventory_service.repository import InventoryRepository
from tests.support.aws import set_aws_environment
from tests.support.cfn import ROOT, create_table, load_template, table_items
from tests.support.events import service_events

TEMPLATE = "services/inventory/template.yaml"
TABLE_NAME = "inventory-test"
SITE_ORIGIN = "https://shop.example.com"
# The operators' seed script, loaded by path as the local runner does (it is not a package).
SEED_SCRIPT = runpy.run_path(str(ROOT / "services/inventory/seed/seed_catalog.py"))


def sample_catalog() -> list[dict]:
    return SEED_SCRIPT["load_catalog"](SEED_SCRIPT["SAMPLE_CATALOG"])


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """Every test: the handler modules read these when first imported (by any test)."""
    set_aws_environment(
        monkeypatch, "inventory", INVENTORY_TABLE_NAME=TABLE_NAME, ALLOWED_ORIGIN=SITE_ORIGIN
    )


@pytest.fixture(scope="session")
def template() -> dict:
    return load_template(TEMPLATE)


@pytest.fixture
def table():
    with mock_aws():
        yield create_table(boto3.resource("dynamodb"), TEMPLATE, "InventoryTable", TABLE_NAME)


@pytest.fixture
def client(table):
    """The low-level client, as the handlers build it."""
    return boto3.client("dynamodb")


@pytest.fixture
def repository(client) -> InventoryRepository:
    return InventoryRepository(client, TABLE_NAME)


@pytest.fixture
def seed_script() -> dict:
    """The seed script's functions (seed_products, load_catalog, main) by name."""
    return SEED_SCRIPT


@pytest.fixture
def seed(client):
    """Seeds products through the operators' seed script."""
    return lambda products: SEED_SCRIPT["seed_products"](client, TABLE_NAME, products)


@pytest.fixture
def catalog(seed) -> dict[str, dict]:
    """The sample catalog seeded through the seed script, by sku."""
    products = sample_catalog()
    seed(products)
    return {product["sku"]: product for product in products}


@pytest.fixture
def snapshot(table):
    """Whole-table contents, to prove that an error path wrote nothing."""

    def take() -> list[dict]:
        return sorted(table_items(table), key=lambda item: item["pk"])

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
def use_case():
    """Imports a use-case module; like a handler, only once the environment is set, since it
    brings the service's Powertools objects (observability.py) with it."""
    return lambda name: importlib.import_module(f"inventory_service.{name}")


@pytest.fixture
def recorded_metrics(use_case):
    """Business metric names a use case added since the last call (a handler would flush them)."""
    metrics = use_case("observability").metrics
    metrics.clear_metrics()

    def read() -> list[str]:
        names = list(metrics.metric_set)
        metrics.clear_metrics()
        return names

    yield read
    metrics.clear_metrics()


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
    return service_events("inventory")
