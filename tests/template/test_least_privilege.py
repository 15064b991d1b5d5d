"""Every role gets exactly what its code uses, on its own resources.

Each template goes through the SAM translator (what CloudFormation deploys: SAM's policy
templates, event sources and `Tracing` add statements and managed policies the template does
not show). For every function and state machine role: no data action on `*` or on a wildcard
pattern, no data action on anything but a resource or parameter of its own template (tables
and queues: its own resources only), only allow-listed AWS managed policies, and the data
actions granted are exactly the ones listed in USED_ACTIONS. tests/e2e checks those lists
against the calls the functions really make.
"""

import json
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.cfn import load_template
from tests.support.iam import (
    DATA_SERVICES,
    literal_text,
    principals,
    references,
    service_of,
    translate,
    ungranted_calls,
)

IDEMPOTENCY = "Powertools idempotency record (get, put, update, delete: its documented needs)"
SQS_EVENT_SOURCE = "its event source mapping polls its queue with the function's role"
STRIPE_KEY = "the Stripe secret key, the one secret StripeSecretName names (Powertools get_secret)"

# Per template and principal, each data action its code (or its event source) uses, and why.
USED_ACTIONS: dict[str, dict[str, dict[str, str]]] = {
    "platform/template.yaml": {
        "CheckoutStateMachine": {
            "lambda:InvokeFunction": "the saga's task functions",
            "events:PutEvents": "OrderPlaced, OrderConfirmed, OrderFailed",
            "sqs:SendMessage": "what it could not undo, to the alerts queue",
        },
    },
    "services/inventory/template.yaml": {
        "CatalogApiFunction": {
            "dynamodb:GetItem": "GET /products/{sku}",
            "dynamodb:Query": "GET /products, on the byEntity index",
        },
        "QuotePricesFunction": {"dynamodb:BatchGetItem": "the cart's products"},
        "ReserveStockFunction": {
            "dynamodb:PutItem": "the reservation (in a transaction)",
            "dynamodb:UpdateItem": "each product's stock (in the same transaction)",
        },
        "CommitStockFunction": {"dynamodb:UpdateItem": "marks the reservation committed"},
        "ReleaseStockFunction": {
            "dynamodb:GetItem": "reads the reservation",
            "dynamodb:PutItem": "a release tombstone when there is no reservation",
            "dynamodb:UpdateItem": "the reservation and each product's stock (a transaction)",
        },
    },
    "services/payments/template.yaml": {
        "RegisterPaymentFunction": {
            "dynamodb:PutItem": "the order's payment token, once, under its reference",
        },
        "ChargePaymentFunction": {
            "dynamodb:GetItem": "the payment token registered under the reference",
            "dynamodb:PutItem": "the sandbox provider's first ledger entry for a charge",
            "dynamodb:UpdateItem": "the payment record's transitions; outage attempt counts",
            "secretsmanager:GetSecretValue": STRIPE_KEY,
        },
        "CapturePaymentFunction": {
            "dynamodb:GetItem": "the payment record: what was authorized, at which provider id",
            "dynamodb:UpdateItem": "AUTHORIZED -> CAPTURED; the sandbox ledger's capture",
            "secretsmanager:GetSecretValue": STRIPE_KEY,
        },
        "RefundPaymentFunction": {
            "dynamodb:GetItem": "the charge in the sandbox provider's ledger",
            "dynamodb:UpdateItem": "the payment record and the ledger, settled",
            "secretsmanager:GetSecretValue": STRIPE_KEY,
        },
    },
    "services/orders/template.yaml": {
        "OrdersApiFunction": {
            "dynamodb:GetItem": f"GET /orders/{{orderId}}; {IDEMPOTENCY}",
            "dynamodb:PutItem": f"the new order, conditionally; {IDEMPOTENCY}",
            "dynamodb:UpdateItem": f"FAILED when the checkout cannot start; {IDEMPOTENCY}",
            "dynamodb:DeleteItem": IDEMPOTENCY,
            "dynamodb:Query": "GET /orders?customerId=, on the byCustomer index",
            "lambda:InvokeFunction": "inventory's QuotePrices; payments' RegisterPayment",
            "states:StartExecution": "the checkout",
            "states:GetExecutionHistory": "GET /orders/{orderId}/steps",
        },
        "UpdateOrderStatusFunction": {"dynamodb:UpdateItem": "the order's status"},
        "ReconcileOrdersFunction": {
            "dynamodb:GetItem": "the order to reconcile",
            "dynamodb:UpdateItem": "settles it",
            "dynamodb:Query": "orders due, on the byReconcileAt index",
            "states:DescribeExecution": "is the order's checkout still running?",
            "states:StopExecution": "stops one running past its worst case",
            "lambda:InvokeFunction": "payments' RefundPayment and inventory's ReleaseStock",
            "events:PutEvents": "OrderFailed for an order it failed",
            "sqs:ReceiveMessage": SQS_EVENT_SOURCE,
            "sqs:DeleteMessage": SQS_EVENT_SOURCE,
            "sqs:GetQueueAttributes": SQS_EVENT_SOURCE,
        },
    },
    "services/notifications/template.yaml": {
        "SendNotificationFunction": {
            "dynamodb:GetItem": IDEMPOTENCY,
            "dynamodb:PutItem": f"what was sent; {IDEMPOTENCY}",
            "dynamodb:UpdateItem": IDEMPOTENCY,
            "dynamodb:DeleteItem": IDEMPOTENCY,
            "cognito-idp:AdminGetUser": "the customer's verified address, from the user pool",
            "ses:SendEmail": "the customer's email",
            "sqs:ReceiveMessage": SQS_EVENT_SOURCE,
            "sqs:DeleteMessage": SQS_EVENT_SOURCE,
            "sqs:GetQueueAttributes": SQS_EVENT_SOURCE,
        },
    },
}

# Wildcards a data grant may use, and why no narrower resource exists.
WILDCARD_RESOURCES = {
    ("ReconcileOrdersFunction", "states:DescribeExecution"): "executions are named per order",
    ("ReconcileOrdersFunction", "states:StopExecution"): "executions are named per order",
    ("OrdersApiFunction", "states:GetExecutionHistory"): "executions are named per order",
}
# Resource types a table or queue grant may name.
OWN_STORE_TYPES = {"dynamodb": "AWS::DynamoDB::Table", "sqs": "AWS::SQS::Queue"}


def problems(template: dict[str, Any], used: dict[str, dict[str, str]]) -> list[str]:
    """Everything the translated template's roles grant beyond `used`, or lack of it."""
    found = []
    own_resources = template["Resources"]
    own_names = set(own_resources) | set(template.get("Parameters", {}))
    roles = principals(translate(template))
    for logical_id in set(used) - set(roles):
        found.append(f"{logical_id}: no such function or state machine")
    for logical_id, principal in roles.items():
        for policy in principal.refused_managed_policies:
            found.append(f"{logical_id}: managed policy {policy} is not on the allow-list")
        granted = set()
        for grant in principal.grants:
            service = service_of(grant.action)
            if "*" in grant.action:
                found.append(f"{logical_id}: wildcard action {grant.action}")
            if service not in DATA_SERVICES:
                continue
            granted.add(grant.action)
            where = f"{logical_id}: {grant.action} on {grant.resource}"
            wildcard_allowed = (logical_id, grant.action) in WILDCARD_RESOURCES
            if "*" in literal_text(grant.resource) and not wildcard_allowed:
                found.append(f"{where}: a wildcard resource")
            named = references(grant.resource)
            if not named:
                found.append(f"{where}: names nothing of this template")
            for name in named - own_names:
                found.append(f"{where}: {name} is not of this template")
            store_type = OWN_STORE_TYPES.get(service)
            if store_type:
                for name in named:
                    if own_resources.get(name, {}).get("Type") != store_type:
                        found.append(f"{where}: {name} is not a {store_type} of this template")
        expected = set(used.get(logical_id, {}))
        for action in sorted(granted - expected):
            found.append(f"{logical_id}: grants {action}, which its code does not use")
        for action in sorted(expected - granted):
            found.append(f"{logical_id}: lacks {action}, which its code uses")
    return found


@pytest.mark.parametrize("path", sorted(USED_ACTIONS))
def test_each_role_grants_exactly_what_its_code_uses_on_its_own_resources(path):
    assert problems(load_template(path), USED_ACTIONS[path]) == []


def test_every_function_and_state_machine_is_listed():
    listed = {(path, logical_id) for path, used in USED_ACTIONS.items() for logical_id in used}
    for path in USED_ACTIONS:
        for logical_id, resource in load_template(path)["Resources"].items():
            if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
                assert (path, logical_id) in listed, f"{path}: {logical_id} has no USED_ACTIONS"


NOTIFICATIONS = "services/notifications/template.yaml"


def notifications_with(**function_properties: Any) -> dict[str, Any]:
    template = load_template(NOTIFICATIONS)
    template["Resources"]["SendNotificationFunction"]["Properties"].update(function_properties)
    return template


def test_sams_sqs_event_and_crud_policy_template_are_refused():
    template = notifications_with(
        Events={
            "OrderOutcomes": {
                "Type": "SQS",
                "Properties": {"Queue": {"Fn::GetAtt": ["NotificationsQueue", "Arn"]}},
            }
        },
        Policies=[{"DynamoDBCrudPolicy": {"TableName": {"Ref": "NotificationsTable"}}}],
    )
    del template["Resources"]["SendNotificationFunctionOrderOutcomes"]  # the event replaces it
    found = problems(template, USED_ACTIONS[NOTIFICATIONS])
    assert (
        "SendNotificationFunction: managed policy "
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole "
        "is not on the allow-list"
    ) in found
    assert "SendNotificationFunction: grants dynamodb:Scan, which its code does not use" in found
    assert any("index/*" in p and p.endswith("a wildcard resource") for p in found), found
    assert "SendNotificationFunction: lacks ses:SendEmail, which its code uses" in found


def test_a_grant_on_another_services_table_or_on_everything_is_refused():
    own = load_template(NOTIFICATIONS)["Resources"]["SendNotificationFunction"]["Properties"]
    statements = own["Policies"][0]["Statement"]
    template = notifications_with(
        Policies=[
            {
                "Statement": [
                    *statements,
                    {
                        "Effect": "Allow",
                        "Action": "dynamodb:GetItem",
                        "Resource": {"Fn::ImportValue": "orders-table-arn"},
                    },
                    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Action": "sqs:DeleteMessage",
                        "Resource": {"Fn::GetAtt": ["NotificationsDeadLetterAlarm", "Arn"]},
                    },
                ]
            }
        ]
    )
    found = problems(template, USED_ACTIONS[NOTIFICATIONS])
    prefix = "SendNotificationFunction: "
    assert any(
        p.startswith(prefix + "dynamodb:GetItem on {'Fn::ImportValue'")
        and p.endswith("names nothing of this template")
        for p in found
    ), found
    assert f"{prefix}sqs:SendMessage on *: a wildcard resource" in found
    assert any(
        p.endswith("NotificationsDeadLetterAlarm is not a AWS::SQS::Queue of this template")
        for p in found
    ), found
    assert f"{prefix}grants sqs:SendMessage, which its code does not use" in found


def test_a_wildcard_action_is_refused():
    template = notifications_with(
        Policies=[
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "ses:Send*",
                        "Resource": {"Fn::Sub": "arn:aws:ses:us-east-1:1:identity/${SenderEmail}"},
                    }
                ]
            }
        ]
    )
    assert "SendNotificationFunction: wildcard action ses:Send*" in problems(
        template, USED_ACTIONS[NOTIFICATIONS]
    )


def test_a_recorded_call_the_role_does_not_grant_is_reported(tmp_path):
    calls = tmp_path / "calls.jsonl"
    transaction = {"service": "dynamodb", "operation": "TransactWriteItems"}
    recorded = [
        {"function": "ReserveStockFunction", **transaction, "parts": ["Put", "Update"]},
        {"function": "OrdersApiFunction", "service": "lambda", "operation": "Invoke"},
        {"function": "ReserveStockFunction", **transaction, "parts": ["ConditionCheck"]},
        {"function": "CatalogApiFunction", "service": "dynamodb", "operation": "Scan"},
    ]
    calls.write_text("".join(json.dumps(call) + "\n" for call in recorded))

    assert ungranted_calls(lambda name: SimpleNamespace(logical_id=name), calls) == {
        ("ReserveStockFunction", "dynamodb:ConditionCheckItem"),
        ("CatalogApiFunction", "dynamodb:Scan"),
    }
