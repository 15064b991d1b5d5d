"""The stock use cases (stock.py) against the moto table: what reserve, commit and release decide
from what the repository reports."""

import re

import pytest

from inventory_service.errors import (
    OutOfStock,
    ReservationNotFound,
    ReservationReleased,
    UnknownSku,
)
from inventory_service.models import OrderTask, ReserveStockRequest

TSHIRT, MUG, POSTER, SNEAKER = (
    "SKU-TSHIRT-BLK-M",
    "SKU-MUG-WHT-12OZ",
    "SKU-POSTER-LTD-A2",
    "SKU-SNEAKER-WHT-42",
)
MILLISECONDS_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")


@pytest.fixture
def stock_use_cases(use_case):
    return use_case("stock")


@pytest.fixture
def reserve(stock_use_cases, repository):
    def call(order_id: str, quantities: dict[str, int]) -> dict:
        items = [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]
        request = ReserveStockRequest.model_validate({"orderId": order_id, "items": items})
        return stock_use_cases.reserve_stock(request, stock=repository)

    return call


@pytest.fixture
def commit(stock_use_cases, repository):
    return lambda order_id: stock_use_cases.commit_stock(
        OrderTask(orderId=order_id), stock=repository
    )


@pytest.fixture
def release(stock_use_cases, repository):
    return lambda order_id: stock_use_cases.release_stock(
        OrderTask(orderId=order_id), stock=repository
    )


def test_reserve_takes_stock_and_stamps_the_reservation(
    reserve, catalog, stock, table, recorded_metrics
):
    assert reserve("o-1", {TSHIRT: 2, MUG: 1}) == {"reservationId": "o-1", "status": "RESERVED"}
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"] - 2
    assert stock(MUG) == catalog[MUG]["stock"] - 1
    item = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert MILLISECONDS_UTC.fullmatch(item["createdAt"])
    assert item["updatedAt"] == item["createdAt"]
    assert recorded_metrics() == ["StockReserved"]


def test_reserve_out_of_stock_names_every_short_sku(reserve, catalog, snapshot, recorded_metrics):
    before = snapshot()
    with pytest.raises(OutOfStock) as raised:
        reserve("o-1", {TSHIRT: 1, POSTER: 2, SNEAKER: 1})
    assert raised.value.skus == (POSTER, SNEAKER)
    assert str(raised.value) == f"insufficient stock for sku(s): {POSTER}, {SNEAKER}"
    assert snapshot() == before
    assert recorded_metrics() == ["OutOfStock"]


def test_reserve_unknown_sku_wins_over_short_stock(reserve, catalog, snapshot, recorded_metrics):
    before = snapshot()
    with pytest.raises(UnknownSku) as raised:
        reserve("o-1", {"SKU-X": 1, SNEAKER: 1, "SKU-Y": 1})
    assert raised.value.skus == ("SKU-X", "SKU-Y")
    assert snapshot() == before
    assert recorded_metrics() == ["UnknownSku"]


def test_reserve_twice_returns_existing_without_taking_stock(
    reserve, catalog, stock, recorded_metrics
):
    first = reserve("o-1", {TSHIRT: 2})
    recorded_metrics()
    assert reserve("o-1", {TSHIRT: 2}) == first
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"] - 2
    assert recorded_metrics() == []


def test_existing_reservation_wins_even_when_stock_ran_out(reserve, catalog, stock):
    first = reserve("o-1", {POSTER: 1})
    assert reserve("o-1", {POSTER: 1}) == first
    assert stock(POSTER) == 0


def test_reserve_after_commit_reports_the_committed_reservation(reserve, commit, catalog):
    reserve("o-1", {TSHIRT: 1})
    commit("o-1")
    assert reserve("o-1", {TSHIRT: 1}) == {"reservationId": "o-1", "status": "COMMITTED"}


def test_commit_transitions_once(reserve, commit, catalog, table, snapshot, recorded_metrics):
    reserve("o-1", {TSHIRT: 1})
    recorded_metrics()
    assert commit("o-1") == {"status": "COMMITTED"}
    item = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert item["status"] == "COMMITTED"
    assert MILLISECONDS_UTC.fullmatch(item["committedAt"])
    assert recorded_metrics() == ["StockCommitted"]
    after_first = snapshot()
    assert commit("o-1") == {"status": "COMMITTED"}
    assert snapshot() == after_first
    assert recorded_metrics() == []


def test_commit_errors(reserve, commit, release, catalog, snapshot):
    with pytest.raises(ReservationNotFound, match="no stock reservation for order o-missing"):
        commit("o-missing")
    reserve("o-1", {TSHIRT: 1})
    release("o-1")
    before = snapshot()
    with pytest.raises(ReservationReleased, match="order o-1 was already released"):
        commit("o-1")
    assert snapshot() == before


@pytest.mark.parametrize("commit_first", [False, True])
def test_release_gives_stock_back_once(
    reserve, commit, release, catalog, stock, snapshot, recorded_metrics, commit_first
):
    reserve("o-1", {TSHIRT: 2, MUG: 3})
    if commit_first:
        commit("o-1")
    recorded_metrics()
    assert release("o-1") == {"status": "RELEASED"}
    assert recorded_metrics() == ["StockReleased"]
    after_first = snapshot()
    assert release("o-1") == {"status": "RELEASED"}
    assert snapshot() == after_first
    assert recorded_metrics() == []
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"]
    assert stock(MUG) == catalog[MUG]["stock"]


def test_release_without_reservation_leaves_tombstone(
    reserve, release, catalog, stock, table, snapshot, recorded_metrics
):
    assert release("o-1") == {"status": "NOTHING_TO_RELEASE"}
    tombstone = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert tombstone["status"] == "RELEASED"
    assert tombstone["tombstone"] is True
    assert MILLISECONDS_UTC.fullmatch(tombstone["releasedAt"])
    assert recorded_metrics() == []

    with pytest.raises(ReservationReleased):
        reserve("o-1", {POSTER: 1})
    assert stock(POSTER) == 1
    after = snapshot()
    assert release("o-1") == {"status": "NOTHING_TO_RELEASE"}
    assert snapshot() == after


def test_release_retries_when_reservation_moves(
    reserve, release, repository, catalog, stock, monkeypatch
):
    """A commit landing between the release's read and its write must not be lost."""
    reserve("o-1", {TSHIRT: 1})
    original = repository.release_reservation
    calls = []

    def commit_then_release(reservation, now):
        if not calls:
            repository.commit("o-1", now)
        calls.append(str(reservation.status))
        return original(reservation, now)

    monkeypatch.setattr(repository, "release_reservation", commit_then_release)
    assert release("o-1") == {"status": "RELEASED"}
    assert calls == ["RESERVED", "COMMITTED"]
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"]


def test_release_tombstone_race_releases_the_reserve_that_won(
    release, repository, catalog, stock, monkeypatch
):
    """A reserve landing between the release's read and its tombstone put is released."""
    original = repository.put_release_tombstone

    def reserve_first(order_id, now):
        if repository.get_reservation(order_id) is None:
            repository.reserve(order_id, {TSHIRT: 1}, now)
        return original(order_id, now)

    monkeypatch.setattr(repository, "put_release_tombstone", reserve_first)
    assert release("o-1") == {"status": "RELEASED"}
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"]


def test_release_gives_up_after_four_attempts(reserve, release, repository, catalog, monkeypatch):
    """The reservation only moves forward through 4 states: more moves than that is a fault."""
    reserve("o-1", {TSHIRT: 1})
    attempts = []
    monkeypatch.setattr(
        repository, "release_reservation", lambda reservation, now: attempts.append(now) or False
    )
    with pytest.raises(RuntimeError, match="o-1 kept changing during release"):
        release("o-1")
    assert len(attempts) == 4
