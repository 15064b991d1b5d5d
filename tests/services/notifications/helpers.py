"""Helpers for the notifications tests (imported by conftest.py and the test modules)."""

import json

from moto.ses.models import ses_backends

from tests.support.aws import ACCOUNT_ID, REGION
from tests.support.events import service_events

TEMPLATE = "services/notifications/template.yaml"
TABLE_NAME = "notifications-test"
SENDER_EMAIL = "orders@example.com"

load_event = service_events("notifications")

# The sample events' customers (their ids are user pool subs) and their verified addresses.
JANE = "0f8e4c2a-6b1d-4e3f-9a57-2c8d1b6e4f90"
SAM = "7a1d3e5b-9c2f-4b8a-8e61-4f0c2a9d7b13"
ADDRESSES = {JANE: "jane.doe@example.com", SAM: "sam.lee@example.org"}


def event_bodies(event: dict) -> list[dict]:
    """The EventBridge events inside an SQS event's records."""
    return [json.loads(record["body"]) for record in event["Records"]]


def notification(table, event_id: str) -> dict | None:
    """The NOTIFICATION# record of an event, read from the (moto) table itself."""
    return table.get_item(Key={"pk": f"NOTIFICATION#{event_id}"}, ConsistentRead=True).get("Item")


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
