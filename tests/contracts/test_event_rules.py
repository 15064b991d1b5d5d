"""Consumers: each EventBridge rule in the templates routes exactly the events it should.

Patterns are matched by moto's EventBridge pattern matcher (the one that routes events to
rules' targets in the local run; moto does not serve the TestEventPattern API), against the
examples the published schemas carry, so a rule and a contract cannot drift apart silently.
"""

import json
from pathlib import Path

import pytest
from moto.events.models import EventPattern
from moto.events.utils import EventTemplateParser

from localrun import contracts
from notifications_service.models import parse_order_outcome
from tests.support.aws import REGION
from tests.support.cfn import load_template, ssm_reference

TEMPLATES = {"platform": Path("platform/template.yaml")} | {
    path.parent.name: path for path in sorted(Path("services").glob("*/template.yaml"))
}
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:123456789012:stateMachine:ecommerce-dev-checkout"
# Every rule on the checkout's bus, with the detail-types it exists to consume.
CONSUMERS = {("notifications", "OrderOutcomeRule"): {"OrderConfirmed", "OrderFailed"}}
# Every rule on the account's default bus: Step Functions' status changes of the checkout.
STATUS_CHANGE_CONSUMERS = {
    ("orders", "ExecutionEndedBadlyRule"),  # the reconciler settles the order
    ("platform", "CheckoutEndedUnexpectedlyRule"),  # operators are told
}
# The Fail state that is a business outcome (declined, out of stock, all undone): no one is paged.
BUSINESS_FAILURE = "CheckoutFailed"


def _rule_resources(on_checkout_bus: bool) -> dict[tuple[str, str], dict]:
    rules = {}
    for owner, template in TEMPLATES.items():
        for logical_id, resource in load_template(template)["Resources"].items():
            if resource["Type"] != "AWS::Events::Rule":
                continue
            if ("EventBusName" in resource["Properties"]) == on_checkout_bus:
                rules[(owner, logical_id)] = resource["Properties"]
    return rules


def _rules(on_checkout_bus: bool) -> dict[tuple[str, str], dict]:
    return {key: rule["EventPattern"] for key, rule in _rule_resources(on_checkout_bus).items()}


def _resolved(pattern):
    """The pattern as deployed: the state machine's ARN in place of the platform's !Ref of it
    and of a service's SSM reference to it."""
    if isinstance(pattern, dict):
        if pattern in (
            {"Ref": "CheckoutStateMachine"},
            {
                "Fn::Sub": ssm_reference(
                    "/ecommerce/${Environment}/platform/checkout-state-machine/arn"
                )
            },
        ):
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


def test_every_rule_on_the_default_bus_is_a_declared_status_change_consumer():
    assert set(_rules(on_checkout_bus=False)) == STATUS_CHANGE_CONSUMERS


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


def _status_change(status: str, error: str | None, state_machine: str = STATE_MACHINE_ARN) -> dict:
    """Step Functions' event for an execution named after its order, as EventBridge delivers it."""
    execution = f"{state_machine.replace(':stateMachine:', ':execution:')}:ord-1"
    detail = {
        "executionArn": execution,
        "stateMachineArn": state_machine,
        "name": "ord-1",
        "status": status,
        "error": error,
        "cause": None if error is None else f"{error}: what happened",
    }
    return _event("aws.states", "Step Functions Execution Status Change", detail)


def test_the_business_failure_is_the_asls_fail_state_of_that_name():
    states = json.loads(Path("statemachine/checkout.asl.json").read_text())["States"]
    assert states[BUSINESS_FAILURE]["Type"] == "Fail"
    assert states[BUSINESS_FAILURE]["Error"] == BUSINESS_FAILURE


@pytest.mark.parametrize(
    ("status", "error", "state_machine", "told"),
    [
        ("FAILED", "OutcomeNotPublished", STATE_MACHINE_ARN, True),
        ("FAILED", "CompensationFailed", STATE_MACHINE_ARN, True),
        ("FAILED", "States.Runtime", STATE_MACHINE_ARN, True),
        ("FAILED", "States.TaskFailed", STATE_MACHINE_ARN, True),
        ("TIMED_OUT", "States.Timeout", STATE_MACHINE_ARN, True),
        ("TIMED_OUT", None, STATE_MACHINE_ARN, True),
        ("ABORTED", None, STATE_MACHINE_ARN, True),
        ("FAILED", BUSINESS_FAILURE, STATE_MACHINE_ARN, False),
        ("SUCCEEDED", None, STATE_MACHINE_ARN, False),
        ("RUNNING", None, STATE_MACHINE_ARN, False),
        ("FAILED", "CompensationFailed", STATE_MACHINE_ARN + "-other", False),
    ],
)
def test_operators_are_told_of_checkouts_that_ended_for_no_business_reason(
    status, error, state_machine, told
):
    pattern = _rules(on_checkout_bus=False)[("platform", "CheckoutEndedUnexpectedlyRule")]
    assert _matches(pattern, _status_change(status, error, state_machine)) is told


def test_the_operators_message_names_the_order_the_error_and_links_the_execution():
    rule = _rule_resources(on_checkout_bus=False)[("platform", "CheckoutEndedUnexpectedlyRule")]
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": "OperatorsTopic"}
    transformer = target["InputTransformer"]
    template = transformer["InputTemplate"]["Fn::Sub"].replace("${AWS::Region}", REGION)
    event = {**_status_change("FAILED", "CompensationFailed"), "ingestion-time": 0}

    message = EventTemplateParser.parse(template, transformer["InputPathsMap"], event)

    execution = event["detail"]["executionArn"]
    assert message["orderId"] == "ord-1"  # the execution's name is the order id
    assert message["error"] == "CompensationFailed"
    assert message["summary"] == "Checkout ord-1 ended FAILED: CompensationFailed"
    assert set(message) == {"summary", "orderId", "status", "error", "execution"}
    assert message["execution"] == (
        f"https://{REGION}.console.aws.amazon.com/states/home?region={REGION}"
        f"#/v2/executions/details/{execution}"
    )


def test_every_rule_keeps_what_it_cannot_deliver_to_its_queue():
    """EventBridge retries a target for 24 h, then drops the event unless the target names a
    dead-letter queue (which the template's alarms watch)."""
    for template in TEMPLATES.values():
        resources = load_template(template)["Resources"]
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::Events::Rule":
                continue
            for target in resource["Properties"]["Targets"]:
                arn = target["Arn"]
                target_type = (
                    resources[arn["Fn::GetAtt"][0]]["Type"]
                    if isinstance(arn, dict) and "Fn::GetAtt" in arn
                    else None
                )
                if target_type == "AWS::SQS::Queue":
                    assert "DeadLetterConfig" in target, f"{template}: {logical_id}"
