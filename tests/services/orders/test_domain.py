from orders_service import domain


def test_order_id_is_stable_per_customer_and_key():
    assert domain.order_id_for("c1", "k") == domain.order_id_for("c1", "k")
    assert domain.order_id_for("c1", "k") != domain.order_id_for("c2", "k")
    assert domain.order_id_for("c1", "k") != domain.order_id_for("c1", "k2")


def test_checkout_input_carries_prices_from_the_quote_and_no_address():
    quote = {
        "currency": "USD",
        "amountCents": 2598,
        "items": [{"sku": "S-1", "quantity": 2, "unitPriceCents": 1299, "name": "T"}],
    }
    order = domain.new_order(
        "o1", "c1", "a@example.com", quote, "2026-11-26T00:00:00.000+00:00", 900
    )
    assert domain.checkout_input(order, "payref_1") == {
        "orderId": "o1",
        "customerId": "c1",
        "currency": "USD",
        "amountCents": 2598,
        "paymentReference": "payref_1",
        "items": [{"sku": "S-1", "quantity": 2, "unitPriceCents": 1299}],
    }


def _entered(name):
    return {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}}


def test_checkout_steps_count_attempts_and_name_the_last_error_only():
    history = [
        {"type": "ExecutionStarted"},
        _entered("ReserveStock"),
        {"type": "TaskScheduled"},
        {"type": "TaskSucceeded"},
        {"type": "TaskStateExited"},
        _entered("ChargePayment"),
        {"type": "TaskScheduled"},
        {
            "type": "TaskFailed",
            "taskFailedEventDetails": {"error": "PaymentProviderUnavailable", "cause": "x"},
        },
        {"type": "TaskScheduled"},
        {"type": "TaskFailed", "taskFailedEventDetails": {"error": "PaymentDeclined"}},
        _entered("ReleaseStock"),
        {"type": "TaskScheduled"},
        {"type": "TaskTimedOut", "taskTimedOutEventDetails": {}},
        {"type": "TaskScheduled"},
        _entered("Never"),  # entered, not yet scheduled
        {"type": "FailStateEntered", "stateEnteredEventDetails": {"name": "CheckoutFailed"}},
    ]

    assert domain.checkout_steps(history) == [
        {"step": "ReserveStock", "attempts": 1, "outcome": "succeeded", "error": None},
        {"step": "ChargePayment", "attempts": 2, "outcome": "failed", "error": "PaymentDeclined"},
        {"step": "ReleaseStock", "attempts": 2, "outcome": "running", "error": None},
        {"step": "Never", "attempts": 0, "outcome": "running", "error": None},
    ]


def test_a_timed_out_attempt_is_named_as_step_functions_names_it():
    history = [_entered("CommitStock"), {"type": "TaskScheduled"}, {"type": "TaskTimedOut"}]

    [step] = domain.checkout_steps(history)

    assert (step["outcome"], step["error"]) == ("failed", "States.Timeout")
