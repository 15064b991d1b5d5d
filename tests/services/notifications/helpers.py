"""Helpers for the notifications tests (imported by conftest.py and the test modules).

Importing this module sets the environment the handler modules read at import time.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVICE_DIR = REPO_ROOT / "services" / "notifications"
EVENTS_DIR = REPO_ROOT / "events" / "notifications"
TABLE_NAME = "notifications-test"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
SENDER_EMAIL = "orders@example.com"

# Before any handler module is imported: they read these at import time.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "NOTIFICATIONS_TABLE_NAME": TABLE_NAME,
        "SENDER_EMAIL": SENDER_EMAIL,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "notifications",
        "POWERTOOLS_METRICS_NAMESPACE": "Ecommerce",
    }
)

from moto.ses.models import ses_backends  # noqa: E402


class _CloudFormationLoader(yaml.SafeLoader):
    """Accepts !Ref / !Sub / !GetAtt; the table definition does not depend on their values."""


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_template() -> dict:
    return yaml.load((SERVICE_DIR / "template.yaml").read_text(), Loader=_CloudFormationLoader)


def create_table_from_template(dynamodb):
    properties = load_template()["Resources"]["NotificationsTable"]["Properties"]
    table = dynamodb.create_table(
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
    ttl = properties["TimeToLiveSpecification"]
    dynamodb.meta.client.update_time_to_live(
        TableName=TABLE_NAME,
        TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
    )
    return table


def load_event(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())


def event_bodies(event: dict) -> list[dict]:
    """The EventBridge events inside an SQS event's records."""
    return [json.loads(record["body"]) for record in event["Records"]]


def sent_messages() -> list:
    """Emails moto's SES accepted (Message objects: source, destinations, subject, body)."""
    return ses_backends[ACCOUNT_ID][REGION].sent_messages


def emitted_metrics(stdout: str) -> dict[str, float]:
    """Sum of every EMF metric printed by Powertools Metrics, by name."""
    totals: dict[str, float] = {}
    for line in stdout.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                values = blob[metric["Name"]]
                values = values if isinstance(values, list) else [values]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(values)
    return totals


@dataclass
class LambdaContext:
    function_name: str = "notifications-test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:notifications-test-function"
    )
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 9_000
