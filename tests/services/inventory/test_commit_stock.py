import pytest

from inventory_service.errors import ReservationNotFound, ReservationReleased


@pytest.fixture
def tasks(handler_module, lambda_context):
    modules = {
        name: handler_module(name) for name in ("reserve_stock", "commit_stock", "release_stock")
    }
    return lambda name, payload: modules[name].handler(payload, lambda_context)


def test_commit_sample_event(tasks, event, catalog, table, emitted_metrics):
    tasks("reserve_stock", event("reserve-stock.json"))
    emitted_metrics()
    payload = event("commit-stock.json")
    assert tasks("commit_stock", payload) == {"status": "COMMITTED"}
    item = table.get_item(Key={"pk": f"RESERVATION#{payload['orderId']}"})["Item"]
    assert item["status"] == "COMMITTED"
    assert emitted_metrics() == ["StockCommitted"]


def test_commit_twice_same_result_one_change(tasks, event, catalog, snapshot, emitted_metrics):
    tasks("reserve_stock", event("reserve-stock.json"))
    tasks("commit_stock", event("commit-stock.json"))
    after_first = snapshot()
    emitted_metrics()
    assert tasks("commit_stock", event("commit-stock.json")) == {"status": "COMMITTED"}
    assert snapshot() == after_first
    assert emitted_metrics() == []


def test_commit_without_reservation(tasks, event, catalog, snapshot):
    before = snapshot()
    with pytest.raises(ReservationNotFound):
        tasks("commit_stock", event("commit-stock.json"))
    assert snapshot() == before


def test_commit_after_release(tasks, event, catalog, snapshot):
    tasks("reserve_stock", event("reserve-stock.json"))
    tasks("release_stock", event("release-stock.json"))
    before = snapshot()
    with pytest.raises(ReservationReleased):
        tasks("commit_stock", event("commit-stock.json"))
    assert snapshot() == before
