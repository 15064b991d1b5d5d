"""The wiring the brief fixes in template.yaml, and that the sample events match the rule."""

import pytest

from tests.services.notifications.helpers import TEMPLATE, event_bodies, load_event
from tests.support.cfn import load_template

EVENT_FILES = [
    "send-notification.json",
    "send-notification-duplicate.json",
]


@pytest.fixture(scope="module")
def resources() -> dict:
    return load_template(TEMPLATE)["Resources"]


def _matches(pattern: dict, event: dict) -> bool:
    """EventBridge matching for the pattern shape used here: top-level lists of exact values."""
    return all(event.get(field) in allowed for field, allowed in pattern.items())


@pytest.mark.parametrize("name", EVENT_FILES)
def test_sample_events_match_the_rule(resources, name):
    pattern = resources["OrderOutcomeRule"]["Properties"]["EventPattern"]
    assert pattern == {
        "source": ["ecommerce.checkout"],
        "detail-type": ["OrderConfirmed", "OrderFailed"],
    }
    assert all(_matches(pattern, body) for body in event_bodies(load_event(name)))


def test_order_placed_is_not_routed_here(resources):
    pattern = resources["OrderOutcomeRule"]["Properties"]["EventPattern"]
    assert not _matches(pattern, {"source": "ecommerce.checkout", "detail-type": "OrderPlaced"})


def test_queue_has_dlq_and_encryption(resources):
    queue = resources["NotificationsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert queue["SqsManagedSseEnabled"] is True
    assert resources["NotificationsDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True


def test_function_consumes_the_queue_with_partial_batch_failures(resources):
    function = resources["SendNotificationFunction"]["Properties"]
    [source] = function["Events"].values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["BatchSize"] == 10
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_ses_permission_is_send_only_and_conditioned_on_the_sender(resources):
    policies = resources["SendNotificationFunction"]["Properties"]["Policies"]
    statements = [s for p in policies if "Statement" in p for s in p["Statement"]]
    [ses] = [s for s in statements if any(a.startswith("ses:") for a in s["Action"])]
    assert sorted(ses["Action"]) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert set(ses["Condition"]["StringEquals"]) == {"ses:FromAddress"}
    assert not any("SESCrudPolicy" in p for p in policies if isinstance(p, dict))


def test_idempotency_ttl_attribute_matches_the_handler(resources):
    ttl = resources["NotificationsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}
