"""Fixtures for the notifications tests: moto SES + a table built from the service's template."""

import importlib
import io

import boto3
import pytest
from moto import mock_aws

from notifications_service.adapters.customers import CognitoCustomers
from notifications_service.repository import NotificationRepository
from tests.services.notifications.helpers import (
    ADDRESSES,
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
        monkeypatch,
        "notifications",
        NOTIFICATIONS_TABLE_NAME=TABLE_NAME,
        SENDER_EMAIL=SENDER_EMAIL,
        USER_POOL_ID="us-east-1_placeholder",  # the handler's; `customers` points it at moto's
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
def user_pool(aws):
    """A user pool holding the sample events' customers, each with a verified address. Their
    usernames are the subs the events carry (AdminGetUser takes a sub as the username)."""
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName="customers")["UserPool"]["Id"]
    for sub, address in ADDRESSES.items():
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=sub,
            UserAttributes=[
                {"Name": "email", "Value": address},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
    return pool_id


@pytest.fixture
def customers(user_pool):
    return CognitoCustomers(boto3.client("cognito-idp", region_name=REGION), user_pool)


@pytest.fixture
def send_notification(table, customers, monkeypatch):
    """The handler module, imported once the table exists (it binds its clients at import),
    reading addresses from the test's user pool (moto names pools at random)."""
    module = importlib.import_module("notifications_service.handlers.send_notification")
    monkeypatch.setattr(module, "customers", customers)
    return module


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
