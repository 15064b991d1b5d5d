"""`python -m localrun check`: the invariants over a running local app, from another process's
point of view (its AWS endpoint), as an operator runs it after a load."""

import pytest

from localrun.__main__ import main
from localrun.shop import Shop
from localrun.stack import LocalApp


@pytest.fixture(scope="module")
def app():
    with LocalApp().start(virtual_time=True) as running:
        Shop(running).seed_catalog()
        yield running


def test_a_consistent_run_passes_and_says_what_it_read(app, capsys):
    shop = Shop(app)
    order_id = shop.place_order([{"sku": "SKU-MUG-WHT-12OZ", "quantity": 1}]).body["orderId"]
    app.wait_for_execution(order_id)

    assert main(["check", "--endpoint", app.emulator.url]) == 0
    out = capsys.readouterr().out
    assert "orders: {'CONFIRMED': 1}" in out and "0 violation(s)" in out


def test_a_damaged_run_fails_naming_the_violation(app, capsys):
    # Stock that appears from nowhere: available no longer adds up to what was seeded.
    [table] = [t.name for t in app.model.tables if t.logical_id == "InventoryTable"]
    app.client("dynamodb").update_item(
        TableName=table,
        Key={"pk": {"S": "PRODUCT#SKU-CAP-NVY-OS"}},
        UpdateExpression="SET stock = stock + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )

    assert main(["check", "--endpoint", app.emulator.url]) == 1
    assert "stock-adds-up: SKU-CAP-NVY-OS" in capsys.readouterr().out
