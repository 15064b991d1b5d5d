import pytest
from pydantic import ValidationError

from inventory_service.errors import ReservationReleased


@pytest.fixture
def tasks(handler_module, lambda_context):
    modules = {
        name: handler_module(name) for name in ("reserve_stock", "commit_stock", "release_stock")
    }
    return lambda name, payload: modules[name].handler(payload, lambda_context)


def test_release_sample_event_gives_stock_back(tasks, event, catalog, stock, emitted_metrics):
    reserve_payload = event("reserve-stock.json")
    tasks("reserve_stock", reserve_payload)
    emitted_metrics()
    assert tasks("release_stock", event("release-stock.json")) == {"status": "RELEASED"}
    for line in reserve_payload["items"]:
        assert stock(line["sku"]) == catalog[line["sku"]]["stock"]
    assert emitted_metrics() == ["StockReleased"]


def test_release_after_commit_gives_stock_back(tasks, event, catalog, stock):
    reserve_payload = event("reserve-stock.json")
    tasks("reserve_stock", reserve_payload)
    tasks("commit_stock", event("commit-stock.json"))
    assert tasks("release_stock", event("release-stock.json")) == {"status": "RELEASED"}
    for line in reserve_payload["items"]:
        assert stock(line["sku"]) == catalog[line["sku"]]["stock"]


def test_release_twice_same_result_stock_back_once(
    tasks, event, catalog, snapshot, emitted_metrics
):
    tasks("reserve_stock", event("reserve-stock.json"))
    tasks("release_stock", event("release-stock.json"))
    after_first = snapshot()
    emitted_metrics()
    assert tasks("release_stock", event("release-stock.json")) == {"status": "RELEASED"}
    assert snapshot() == after_first
    assert emitted_metrics() == []


def test_release_before_reserve_then_late_reserve_takes_nothing(tasks, event, catalog, snapshot):
    stock_before = [item for item in snapshot() if item["pk"].startswith("PRODUCT#")]
    assert tasks("release_stock", event("release-stock.json")) == {"status": "NOTHING_TO_RELEASE"}

    with pytest.raises(ReservationReleased):
        tasks("reserve_stock", event("reserve-stock.json"))
    assert [item for item in snapshot() if item["pk"].startswith("PRODUCT#")] == stock_before

    after = snapshot()
    assert tasks("release_stock", event("release-stock.json")) == {"status": "NOTHING_TO_RELEASE"}
    assert snapshot() == after


@pytest.mark.parametrize("order_id", ["o\u00001", "o 1", "ö-1", "o" * 129])
def test_an_order_id_that_is_not_an_identifier_is_refused_and_leaves_no_tombstone(
    tasks, catalog, snapshot, order_id
):
    before = snapshot()
    with pytest.raises(ValidationError, match="orderId"):
        tasks("release_stock", {"orderId": order_id})
    assert snapshot() == before
