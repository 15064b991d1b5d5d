"""The template wires what the code expects (the parts cfn-lint cannot know about)."""

import importlib

import pytest

FUNCTIONS = {
    "ChargePaymentFunction": "payments_service.handlers.charge_payment.handler",
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
    assert set(variables) >= {"PAYMENTS_TABLE_NAME", "PAYMENT_PROVIDER", "POWERTOOLS_SERVICE_NAME"}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "payments"
    parameter = template["Parameters"]["PaymentProvider"]
    assert (parameter["AllowedValues"], parameter["Default"]) == (["simulated"], "simulated")


def test_charge_timeout_leaves_room_for_the_provider(template):
    assert template["Resources"]["ChargePaymentFunction"]["Properties"]["Timeout"] == 15


def test_table_outputs_and_retention(template):
    table = template["Resources"]["PaymentsTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert "PaymentsTableName" in template["Outputs"]
