"""RegisterPayment: the orders API hands an order's token over once; the payments table keeps it
under the reference the checkout carries, and nothing else (logs, answers) shows it."""

import json

import pytest

from tests.support.leaks import PAYMENT_TOKEN, log_lines


@pytest.fixture
def register_event(load_event):
    return load_event("register-payment.json")


def test_registering_keeps_the_token_under_the_reference_it_answers(
    register_handler, lambda_context, register_event, snapshot
):
    answer = register_handler.handler(register_event, lambda_context)

    reference = answer["paymentReference"]
    assert answer == {"paymentReference": reference} and reference.startswith("payref_")
    assert register_event["paymentToken"] not in reference
    stored = snapshot()[f"PAYMENTREF#{register_event['orderId']}"]
    assert (stored["paymentReference"], stored["paymentToken"]) == (
        reference,
        register_event["paymentToken"],
    )


def test_registering_an_order_again_answers_the_first_reference_and_keeps_the_first_token(
    register_handler, lambda_context, register_event, snapshot
):
    first = register_handler.handler(register_event, lambda_context)
    after_first = snapshot()

    again = register_handler.handler(register_event | {"paymentToken": "tok_other"}, lambda_context)

    assert again == first
    assert snapshot() == after_first


def test_each_order_gets_its_own_reference(register_handler, lambda_context, register_event):
    one = register_handler.handler(register_event, lambda_context)
    other = register_handler.handler(register_event | {"orderId": "ord-2"}, lambda_context)
    assert one != other


def test_the_charge_pays_with_the_registered_token(
    register_handler, charge_handler, lambda_context, load_event, snapshot
):
    registered = register_handler.handler(
        load_event("register-payment-declined.json"), lambda_context
    )
    charge = load_event("charge-payment-declined.json")
    assert charge["paymentReference"] == registered["paymentReference"]  # the samples agree

    with pytest.raises(Exception) as declined:  # tok_chargeDeclined: the registered token
        charge_handler.handler(charge, lambda_context)

    assert type(declined.value).__name__ == "PaymentDeclined"


def test_no_log_line_or_printed_output_shows_the_token(
    register_handler, lambda_context, register_event, capsys
):
    with log_lines(register_handler.logger) as logs:
        register_handler.handler(register_event | {"paymentToken": PAYMENT_TOKEN}, lambda_context)

    printed = capsys.readouterr()
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["Payment registered"]
    assert lines[0]["correlation_id"] == register_event["orderId"]
    for text in (logs.getvalue(), printed.out, printed.err):
        assert PAYMENT_TOKEN not in text
