"""Consumers: each EventBridge rule in the templates routes exactly the events it should.

Patterns are matched by moto's EventBridge pattern matcher (the one that routes events to
rules' targets in the local run; moto does not serve the TestEventPattern API), against the
examples the published schemas carry, so a rule and a contract cannot drift apart silently.
"""

import json
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from localrun import contracts
from notifications_service.models import parse_order_outcome
from tests.support.aws import REGION
from tests.support.cfn import load_template

SERVICE_TEMPLATES = sorted(Path("services").glob("*/template.yaml"))
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:123456789012:stateMachine:checkout-dev"
# Every rule on the checkout's bus, with the detail-types it exists to consume.
CONSUMERS = {("notifications", "OrderOutcomeRule"): {"OrderConfirmed", "OrderFailed"}}


def _rules(on_checkout_bus: bool) -> dict[tuple[str, str], dict]:
    rules = {}
    for template in SERVICE_TEMPLATES:
        for logical_id, resource in load_template(template)["Resources"].items():
            if resource["Type"] != "AWS::Events::Rule":
                continue
            if ("EventBusName" in resource["Properties"]) == on_checkout_bus:
                rules[(template.parent.name, logical_id)] = resource["Properties"]["EventPattern"]
    return rules


def _resolved(pattern):
    """The pattern as deployed: the state machine's ARN in place of its !Ref parameter."""
    if isinstance(pattern, dict):
        if set(pattern) == {"Ref"}:
            return STATE_MACHINE_ARN
        return {key: _resolved(value) for key, value in pattern.items()}
    if isinstance(pattern, list):
        return [_resolved(value) for value in pattern]
    return pattern


def _event(source: str, detail_type: str, detail: dict) -> dict:
    """A whole event as EventBridge delivers it."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-12-02T10:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def _contract_examples() -> list[dict]:
    examples = []
    for path in sorted(contracts.CONTRACTS.glob("*/*/*.json")):
        schema = json.loads(path.read_text())
        source = schema["properties"]["source"]["const"]
        detail_type = schema["properties"]["detail-type"]["const"]
        for detail in schema["properties"]["detail"]["examples"]:
            examples.append(_event(source, detail_type, detail))
    return examples


def _matches(pattern, event) -> bool:
    return EventPattern.load(json.dumps(_resolved(pattern))).matches_event(event)


def test_every_rule_on_the_checkout_bus_says_what_it_consumes():
    assert set(_rules(on_checkout_bus=True)) == set(CONSUMERS)


@pytest.mark.parametrize("rule", sorted(CONSUMERS), ids="/".join)
def test_a_rule_routes_exactly_its_events(rule):
    pattern = _rules(on_checkout_bus=True)[rule]
    examples = _contract_examples()
    assert {e["detail-type"] for e in examples} >= CONSUMERS[rule]

    routed = {e["detail-type"] for e in examples if _matches(pattern, e)}

    assert routed == CONSUMERS[rule]
    for event in examples:  # the same event from anyone else is not the checkout's
        assert not _matches(pattern, {**event, "source": "ecommerce.storefront"})


def test_notifications_reads_every_event_its_rule_routes_to_it():
    for event in _contract_examples():
        if event["detail-type"] in CONSUMERS[("notifications", "OrderOutcomeRule")]:
            parsed = parse_order_outcome(json.dumps(event))
            assert parsed.detail.orderId == event["detail"]["orderId"]


@pytest.mark.parametrize(
    ("status", "state_machine", "routed"),
    [
        ("FAILED", STATE_MACHINE_ARN, True),
        ("TIMED_OUT", STATE_MACHINE_ARN, True),
        ("ABORTED", STATE_MACHINE_ARN, True),
        ("SUCCEEDED", STATE_MACHINE_ARN, False),
        ("RUNNING", STATE_MACHINE_ARN, False),
        ("FAILED", STATE_MACHINE_ARN + "-other", False),
    ],
)
def test_the_reconciler_gets_only_checkouts_that_ended_badly(status, state_machine, routed):
    """The orders service's rule on the default bus, against Step Functions' own event."""
    pattern = _rules(on_checkout_bus=False)[("orders", "ExecutionEndedBadlyRule")]
    detail = {
        "executionArn": f"{state_machine.replace(':stateMachine:', ':execution:')}:ord-1",
        "stateMachineArn": state_machine,
        "name": "ord-1",
        "status": status,
    }
    event = _event("aws.states", "Step Functions Execution Status Change", detail)

    assert _matches(pattern, event) is routed
