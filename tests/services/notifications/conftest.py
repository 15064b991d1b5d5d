"""Fixtures for the notifications tests: moto SES + a table built from the service's template."""

import importlib
import io

import boto3
import pytest
from moto import mock_aws

from notifications_service.repository import NotificationRepository
from tests.services.notifications.helpers import (
    SENDER_EMAIL,
    TABLE_NAME,
    TEMPLATE,
    emitted_metrics,
)
from tests.support.aws import REGION, set_aws_environment
from tests.support.cfn import create_table


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """Every test: the handler module reads these when first imported (by any test)."""
    set_aws_environment(
        monkeypatch, "notifications", NOTIFICATIONS_TABLE_NAME=TABLE_NAME, SENDER_EMAIL=SENDER_EMAIL
    )


@pytest.fixture
def aws():
    with mock_aws():
        yield


@pytest.fixture
def table(aws):
    resource = boto3.resource("dynamodb", region_name=REGION)
    return create_table(resource, TEMPLATE, "NotificationsTable", TABLE_NAME)


@pytest.fixture
def dynamodb(aws):
    """The low-level client, as the handler builds it: items in DynamoDB JSON."""
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def repository(dynamodb, table):
    return NotificationRepository(dynamodb, table.name)


@pytest.fixture
def ses(aws):
    """SES with the sender verified, as it must be in a real account (moto enforces it too)."""
    client = boto3.client("ses", region_name=REGION)
    client.verify_email_identity(EmailAddress=SENDER_EMAIL)
    return client


@pytest.fixture
def unverified_ses(aws):
    return boto3.client("ses", region_name=REGION)


@pytest.fixture
def send_notification(table):
    """The handler module, imported once the table exists (it binds its clients at import)."""
    return importlib.import_module("notifications_service.handlers.send_notification")


@pytest.fixture
def notifying():
    """The use-case module, imported once the environment is set (its Powertools objects read
    the service name and metrics namespace when first imported)."""
    return importlib.import_module("notifications_service.notifying")


@pytest.fixture
def published_metrics(capsys):
    """Flushes the metrics a use case added and sums them by name; the metric set is shared by
    every Powertools Metrics in the process, so it starts and ends empty."""
    from notifications_service.observability import metrics

    metrics.clear_metrics()
    capsys.readouterr()

    def publish() -> dict[str, float]:
        metrics.flush_metrics()
        return emitted_metrics(capsys.readouterr().out)

    yield publish
    metrics.clear_metrics()


@pytest.fixture
def log_output():
    """What the service's Powertools Logger writes (its stream is bound at import, so capsys
    cannot see it once another test imported the module)."""
    observability = importlib.import_module("notifications_service.observability")
    buffer = io.StringIO()
    handler = observability.logger.registered_handler
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)
