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
