"""The template wires what the code expects (the parts cfn-lint cannot know about)."""

import importlib

import pytest

FUNCTIONS = {
    "RegisterPaymentFunction": "payments_service.handlers.register_payment.handler",
    "ChargePaymentFunction": "payments_service.handlers.charge_payment.handler",
    "CapturePaymentFunction": "payments_service.handlers.capture_payment.handler",
    "RefundPaymentFunction": "payments_service.handlers.refund_payment.handler",
}


@pytest.mark.parametrize(("logical_id", "handler"), FUNCTIONS.items())
def test_functions_point_at_importable_handlers(template, table, logical_id, handler):
    properties = template["Resources"][logical_id]["Properties"]
    assert properties["Handler"] == handler
    module, _, name = handler.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))
    assert template["Outputs"][f"{logical_id}Arn"]
    assert template["Resources"][f"{logical_id}LogGroup"]["Type"] == "AWS::Logs::LogGroup"


def test_environment_and_provider_parameter(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) >= {
        "PAYMENTS_TABLE_NAME",
        "PAYMENT_PROVIDER",
        "STRIPE_SECRET_NAME",
        "POWERTOOLS_SERVICE_NAME",
    }
    assert variables["POWERTOOLS_SERVICE_NAME"] == "payments"
    assert variables["STRIPE_SECRET_NAME"] == {"Ref": "StripeSecretName"}
    # Blank on AWS: Stripe's own API. Only the local run (or sam local's env-vars file) sets it.
    assert variables["STRIPE_API_BASE"] == ""
    parameter = template["Parameters"]["PaymentProvider"]
    assert (parameter["AllowedValues"], parameter["Default"]) == (["stripe", "simulated"], "stripe")


def test_a_prod_stack_refuses_the_simulator(template):
    """CloudFormation checks the rule before it creates anything."""
    rule = template["Rules"]["ProdTakesRealMoney"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "PaymentProvider"}, "stripe"]}


@pytest.mark.parametrize(
    "function", ["ChargePaymentFunction", "CapturePaymentFunction", "RefundPaymentFunction"]
)
def test_provider_calls_have_room_and_read_the_one_stripe_secret(template, function):
    properties = template["Resources"][function]["Properties"]
    assert properties["Timeout"] == 15
    [policy] = properties["Policies"]
    [secret] = [s for s in policy["Statement"] if s["Action"] == "secretsmanager:GetSecretValue"]
    # Secrets Manager appends a hyphen and six characters to a secret's name in its ARN.
    assert secret["Resource"]["Fn::Sub"].endswith(":secret:${StripeSecretName}-??????")


def test_table_outputs_and_retention(template):
    table = template["Resources"]["PaymentsTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert "PaymentsTableName" in template["Outputs"]


def test_register_payment_may_only_put_items_in_its_own_table(template):
    """It holds the tokens: its one permission is writing a registration."""
    [policy] = template["Resources"]["RegisterPaymentFunction"]["Properties"]["Policies"]
    [statement] = policy["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": "dynamodb:PutItem",
        "Resource": {"Fn::GetAtt": ["PaymentsTable", "Arn"]},
    }


def test_register_payment_is_published_for_the_orders_api(template):
    parameter = template["Resources"]["RegisterPaymentFunctionArnParameter"]["Properties"]
    assert parameter["Name"] == {
        "Fn::Sub": "/ecommerce/${Environment}/payments/register-payment-function/arn"
    }
    assert parameter["Value"] == {"Ref": "RegisterPaymentFunction.Alias"}


def test_traces_capture_no_responses_or_errors(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"
