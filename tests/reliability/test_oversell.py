"""A cold burst cannot oversell or strand anything: 200 concurrent checkouts for 50 units, on a
freshly started local run, sell exactly 50."""

from collections import Counter

from tests.reliability.conftest import burst, settle

SHIRT, MUG, HOODIE = "SKU-TSHIRT-BLK-M", "SKU-MUG-WHT-12OZ", "SKU-HOODIE-GRY-L"
UNITS, CUSTOMERS = 50, 200


def test_200_concurrent_checkouts_for_50_units_on_cold_functions_sell_exactly_50(app, shop):
    shop.set_stock(SHIRT, UNITS)
    seeded = {SHIRT: UNITS}

    placed = burst(shop, [{"items": [{"sku": SHIRT, "quantity": 1}]}] * CUSTOMERS, workers=100)

    print(f"answers retried by the customers: {Counter(s for r in placed for s in r.retried)}")
    assert Counter(r.status for r in placed) == {202: CUSTOMERS}
    assert settle(app, shop, seeded) == []
    outcomes = Counter(
        (o["status"], o.get("reason")) for o in (shop.order(r.body["orderId"]) for r in placed)
    )
    assert outcomes == {("CONFIRMED", None): UNITS, ("FAILED", "OutOfStock"): CUSTOMERS - UNITS}
    assert shop.available(SHIRT) == 0


def test_the_same_with_two_skus_per_order(app, shop):
    # Skus the first burst did not touch, so what it committed is not counted here.
    shop.set_stock(MUG, UNITS)
    shop.set_stock(HOODIE, UNITS)
    seeded = {MUG: UNITS, HOODIE: UNITS}
    cart = [{"sku": MUG, "quantity": 1}, {"sku": HOODIE, "quantity": 1}]

    placed = burst(shop, [{"items": cart}] * CUSTOMERS, workers=100)

    assert Counter(r.status for r in placed) == {202: CUSTOMERS}
    assert settle(app, shop, seeded) == []
    statuses = Counter(shop.order(r.body["orderId"])["status"] for r in placed)
    assert statuses == {"CONFIRMED": UNITS, "FAILED": CUSTOMERS - UNITS}
    assert shop.available(MUG) == shop.available(HOODIE) == 0
