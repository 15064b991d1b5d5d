import pytest
from botocore.exceptions import ClientError

from inventory_service.domain import Product, ReleaseOutcome, Reservation, ReservationStatus
from inventory_service.errors import (
    OutOfStock,
    ReservationNotFound,
    ReservationReleased,
    TransactionConflictException,
    UnknownSku,
)

NOW = "2026-11-26T12:00:00+00:00"
LATER = "2026-11-26T12:05:00+00:00"
TSHIRT, MUG, POSTER, SNEAKER = (
    "SKU-TSHIRT-BLK-M",
    "SKU-MUG-WHT-12OZ",
    "SKU-POSTER-LTD-A2",
    "SKU-SNEAKER-WHT-42",
)


def test_put_and_get_product(repository):
    repository.put_product(sku="SKU-A", name="A thing", price_cents=999, stock=3)
    assert repository.get_product("SKU-A") == Product("SKU-A", "A thing", 999, 3, "USD")
    assert repository.get_product("SKU-MISSING") is None


def test_reservation_items_are_not_products(repository, catalog):
    repository.reserve("o-1", {TSHIRT: 1}, NOW)
    assert repository.get_product("o-1") is None
    listed, _ = repository.list_products(limit=100)
    assert sorted(p.sku for p in listed) == sorted(catalog)


def test_list_products_pages_in_sku_order(repository, catalog):
    first, more = repository.list_products(limit=4)
    assert more
    second, more = repository.list_products(limit=4, after_sku=first[-1].sku)
    assert not more
    skus = [p.sku for p in first + second]
    assert skus == sorted(catalog)


def test_list_products_exact_fit_reports_no_more(repository, catalog):
    products, more = repository.list_products(limit=len(catalog))
    assert len(products) == len(catalog)
    assert not more


def test_batch_get_products_beyond_one_request(repository):
    for i in range(130):
        repository.put_product(sku=f"SKU-{i:03}", name=f"n{i}", price_cents=i + 1, stock=1)
    found = repository.batch_get_products([f"SKU-{i:03}" for i in range(130)] + ["SKU-NOPE"])
    assert len(found) == 130
    assert found["SKU-129"].price_cents == 130


def test_reserve_takes_stock_and_records_reservation(repository, catalog, stock, table):
    outcome = repository.reserve("o-1", {TSHIRT: 2, MUG: 1}, NOW)
    assert outcome.created
    assert outcome.reservation.status is ReservationStatus.RESERVED
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"] - 2
    assert stock(MUG) == catalog[MUG]["stock"] - 1
    item = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert item["status"] == "RESERVED"
    assert item["items"] == [{"sku": TSHIRT, "quantity": 2}, {"sku": MUG, "quantity": 1}]
    assert item["createdAt"] == NOW


def test_reserve_out_of_stock_names_every_short_sku(repository, catalog, snapshot):
    before = snapshot()
    with pytest.raises(OutOfStock) as raised:
        repository.reserve("o-1", {TSHIRT: 1, POSTER: 2, SNEAKER: 1}, NOW)
    assert raised.value.skus == (POSTER, SNEAKER)
    assert snapshot() == before


def test_reserve_unknown_sku_wins_over_short_stock(repository, catalog, snapshot):
    before = snapshot()
    with pytest.raises(UnknownSku) as raised:
        repository.reserve("o-1", {"SKU-X": 1, SNEAKER: 1, "SKU-Y": 1}, NOW)
    assert raised.value.skus == ("SKU-X", "SKU-Y")
    assert snapshot() == before


def test_reserve_twice_returns_existing_without_taking_stock(repository, catalog, stock):
    repository.reserve("o-1", {TSHIRT: 2}, NOW)
    again = repository.reserve("o-1", {TSHIRT: 2}, LATER)
    assert not again.created
    assert again.reservation.status is ReservationStatus.RESERVED
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"] - 2


def test_existing_reservation_wins_even_when_stock_ran_out(repository, catalog, stock):
    repository.reserve("o-1", {POSTER: 1}, NOW)
    again = repository.reserve("o-1", {POSTER: 1}, LATER)
    assert not again.created
    assert stock(POSTER) == 0


def test_commit_transitions_once(repository, catalog, table):
    repository.reserve("o-1", {TSHIRT: 1}, NOW)
    assert repository.commit("o-1", NOW) is True
    assert repository.commit("o-1", LATER) is False
    item = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert item["status"] == "COMMITTED"
    assert item["committedAt"] == NOW


def test_commit_errors(repository, catalog, snapshot):
    with pytest.raises(ReservationNotFound):
        repository.commit("o-missing", NOW)
    repository.reserve("o-1", {TSHIRT: 1}, NOW)
    repository.release("o-1", NOW)
    before = snapshot()
    with pytest.raises(ReservationReleased):
        repository.commit("o-1", LATER)
    assert snapshot() == before


@pytest.mark.parametrize("commit_first", [False, True])
def test_release_gives_stock_back_once(repository, catalog, stock, commit_first):
    repository.reserve("o-1", {TSHIRT: 2, MUG: 3}, NOW)
    if commit_first:
        repository.commit("o-1", NOW)
    first = repository.release("o-1", LATER)
    second = repository.release("o-1", LATER)
    assert (first.outcome, first.changed) == (ReleaseOutcome.RELEASED, True)
    assert (second.outcome, second.changed) == (ReleaseOutcome.RELEASED, False)
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"]
    assert stock(MUG) == catalog[MUG]["stock"]


def test_release_without_reservation_leaves_tombstone(repository, catalog, stock, table):
    result = repository.release("o-1", NOW)
    assert (result.outcome, result.changed) == (ReleaseOutcome.NOTHING_TO_RELEASE, True)
    tombstone = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert tombstone["status"] == "RELEASED"
    assert tombstone["tombstone"] is True

    late = repository.reserve("o-1", {POSTER: 1}, LATER)
    assert not late.created
    assert late.reservation.status is ReservationStatus.RELEASED
    assert stock(POSTER) == 1
    again = repository.release("o-1", LATER)
    assert (again.outcome, again.changed) == (ReleaseOutcome.NOTHING_TO_RELEASE, False)


def test_release_retries_when_reservation_moves(repository, catalog, stock, monkeypatch):
    """A commit landing between the release's read and its write must not be lost."""
    repository.reserve("o-1", {TSHIRT: 1}, NOW)
    original = repository._release_reservation
    calls = []

    def commit_then_release(reservation, now):
        if not calls:
            repository.commit("o-1", now)
        calls.append(reservation.status)
        return original(reservation, now)

    monkeypatch.setattr(repository, "_release_reservation", commit_then_release)
    result = repository.release("o-1", LATER)
    assert result.outcome is ReleaseOutcome.RELEASED
    assert calls == [ReservationStatus.RESERVED, ReservationStatus.COMMITTED]
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"]


def test_release_tombstone_race_releases_the_reserve_that_won(
    repository, catalog, stock, monkeypatch
):
    """A reserve landing between the release's read and its tombstone put is released."""
    original = repository._put_release_tombstone

    def reserve_first(order_id, now):
        if repository.get_reservation(order_id) is None:
            repository.reserve(order_id, {TSHIRT: 1}, now)
        return original(order_id, now)

    monkeypatch.setattr(repository, "_put_release_tombstone", reserve_first)
    result = repository.release("o-1", NOW)
    assert result.outcome is ReleaseOutcome.RELEASED
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"]


def _cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def test_concurrent_transaction_surfaces_as_retryable_conflict(repository, catalog, monkeypatch):
    """The state machine retries TransactionConflictException; DynamoDB reports it as a reason."""

    def conflict(**_):
        raise _cancelled("None", "TransactionConflict")

    monkeypatch.setattr(repository._client, "transact_write_items", conflict)
    with pytest.raises(TransactionConflictException):
        repository.reserve("o-1", {TSHIRT: 1}, NOW)
    with pytest.raises(TransactionConflictException):
        repository._release_reservation(
            Reservation("o-1", {TSHIRT: 1}, ReservationStatus.RESERVED), NOW
        )
