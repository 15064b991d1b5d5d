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
    # An explicit mapping, not a SAM `Type: SQS` event (which attaches an account-wide policy).
    assert "Events" not in resources["SendNotificationFunction"]["Properties"]
    mapping = resources["SendNotificationFunctionOrderOutcomes"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["NotificationsQueue", "Arn"]}
    assert mapping["Properties"]["FunctionName"] == {"Ref": "SendNotificationFunction.Alias"}
    assert mapping["Properties"]["BatchSize"] == 10
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_ses_permission_is_send_only_from_the_sender(resources):
    policies = resources["SendNotificationFunction"]["Properties"]["Policies"]
    statements = [s for p in policies if "Statement" in p for s in p["Statement"]]
    [ses] = [s for s in statements if str(s["Action"]).startswith("ses:")]
    assert ses["Action"] == "ses:SendEmail"
    address, domain = ses["Resource"]
    assert address["Fn::Sub"].endswith(":identity/${SenderEmail}")
    assert domain["Fn::Sub"][0].endswith(":identity/${Domain}")
    assert domain["Fn::Sub"][1]["Domain"] == {
        "Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "SenderEmail"}]}]
    }
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SenderEmail"}}}


def test_idempotency_ttl_attribute_matches_the_handler(resources):
    ttl = resources["NotificationsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}
