"""The repository reads and writes the table and reports what DynamoDB found; the decisions
are stock.py's and catalog.py's (test_stock.py, test_catalog.py)."""

import pytest
from botocore.exceptions import ClientError

from inventory_service.domain import Product, Reservation, ReservationStatus
from inventory_service.dynamodb import InvalidPageToken, encode_page_token
from inventory_service.errors import TransactionConflictException
from inventory_service.repository import CommitRefused, ReserveCancelled

NOW = "2026-11-26T12:00:00.000+00:00"
LATER = "2026-11-26T12:05:00.000+00:00"
TSHIRT, MUG, POSTER, SNEAKER = (
    "SKU-TSHIRT-BLK-M",
    "SKU-MUG-WHT-12OZ",
    "SKU-POSTER-LTD-A2",
    "SKU-SNEAKER-WHT-42",
)


def test_get_product(repository, seed):
    seed([{"sku": "SKU-A", "name": "A thing", "priceCents": 999, "stock": 3}])
    assert repository.get_product("SKU-A") == Product("SKU-A", "A thing", 999, 3, "USD")
    assert repository.get_product("SKU-MISSING") is None


def test_reservation_items_are_not_products(repository, catalog):
    repository.reserve("o-1", {TSHIRT: 1}, NOW)
    assert repository.get_product("o-1") is None
    listed, _ = repository.list_products(limit=100)
    assert sorted(p.sku for p in listed) == sorted(catalog)


def test_list_products_pages_in_sku_order(repository, catalog):
    first, token = repository.list_products(limit=4)
    assert token is not None
    second, token = repository.list_products(limit=4, page_token=token)
    assert token is None
    skus = [p.sku for p in first + second]
    assert skus == sorted(catalog)


def test_list_products_exact_fit_hands_out_no_token(repository, catalog):
    products, token = repository.list_products(limit=len(catalog))
    assert len(products) == len(catalog)
    assert token is None


def test_page_token_is_the_key_of_the_last_product_served(repository, catalog):
    first, token = repository.list_products(limit=2)
    last = first[-1].sku
    assert token == encode_page_token({"pk": f"PRODUCT#{last}", "entity": "PRODUCT", "sku": last})


@pytest.mark.parametrize(
    "key",
    [
        {"pk": "RESERVATION#o-1", "entity": "PRODUCT", "sku": "o-1"},
        {"pk": "PRODUCT#A", "entity": "RESERVATION", "sku": "A"},
        {"pk": "PRODUCT#A", "entity": "PRODUCT", "sku": "B"},
    ],
)
def test_page_token_of_anything_but_a_product_is_refused(repository, catalog, key):
    with pytest.raises(InvalidPageToken, match="nextToken"):
        repository.list_products(limit=4, page_token=encode_page_token(key))


def test_batch_get_products_beyond_one_request(repository, seed):
    seed(
        [
            {"sku": f"SKU-{i:03}", "name": f"n{i}", "priceCents": i + 1, "stock": 1}
            for i in range(130)
        ]
    )
    found = repository.batch_get_products([f"SKU-{i:03}" for i in range(130)] + ["SKU-NOPE"])
    assert len(found) == 130
    assert found["SKU-129"].price_cents == 130


def test_reserve_takes_stock_and_records_reservation(repository, catalog, stock, table):
    written = repository.reserve("o-1", {TSHIRT: 2, MUG: 1}, NOW)
    assert written == Reservation("o-1", {TSHIRT: 2, MUG: 1}, ReservationStatus.RESERVED)
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"] - 2
    assert stock(MUG) == catalog[MUG]["stock"] - 1
    item = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert item == {
        "pk": "RESERVATION#o-1",
        "orderId": "o-1",
        "items": [{"sku": TSHIRT, "quantity": 2}, {"sku": MUG, "quantity": 1}],
        "status": "RESERVED",
        "createdAt": NOW,
        "updatedAt": NOW,
    }


def test_reserve_reports_missing_and_short_skus_and_writes_nothing(repository, catalog, snapshot):
    before = snapshot()
    cancelled = repository.reserve("o-1", {"SKU-X": 1, TSHIRT: 1, POSTER: 2, SNEAKER: 1}, NOW)
    assert cancelled == ReserveCancelled(missing_skus=("SKU-X",), short_skus=(POSTER, SNEAKER))
    assert snapshot() == before


def test_reserve_reports_the_existing_reservation_as_it_was(repository, catalog, snapshot):
    repository.reserve("o-1", {POSTER: 1}, NOW)
    before = snapshot()
    cancelled = repository.reserve("o-1", {POSTER: 1}, LATER)
    assert cancelled == ReserveCancelled(
        existing=Reservation("o-1", {POSTER: 1}, ReservationStatus.RESERVED),
        short_skus=(POSTER,),
    )
    assert snapshot() == before


def test_commit_transitions_once_and_reports_what_refused(repository, catalog, table):
    repository.reserve("o-1", {TSHIRT: 1}, NOW)
    assert repository.commit("o-1", NOW) is None
    assert repository.commit("o-1", LATER) == CommitRefused(
        Reservation("o-1", {TSHIRT: 1}, ReservationStatus.COMMITTED)
    )
    item = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert item["status"] == "COMMITTED"
    assert item["committedAt"] == NOW
    assert repository.commit("o-missing", NOW) == CommitRefused(None)


def test_tombstone_is_written_only_where_there_is_no_reservation(repository, catalog, table):
    assert repository.put_release_tombstone("o-1", NOW) is True
    assert table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"] == {
        "pk": "RESERVATION#o-1",
        "orderId": "o-1",
        "items": [],
        "status": "RELEASED",
        "tombstone": True,
        "createdAt": NOW,
        "releasedAt": NOW,
        "updatedAt": NOW,
    }
    assert repository.get_reservation("o-1") == Reservation(
        "o-1", {}, ReservationStatus.RELEASED, tombstone=True
    )
    assert repository.put_release_tombstone("o-1", LATER) is False
    assert table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]["updatedAt"] == NOW


def test_release_reservation_is_guarded_by_the_observed_status(
    repository, catalog, stock, snapshot, table
):
    reserved = repository.reserve("o-1", {TSHIRT: 2}, NOW)
    assert isinstance(reserved, Reservation)
    repository.commit("o-1", NOW)
    before = snapshot()
    assert repository.release_reservation(reserved, LATER) is False
    assert snapshot() == before

    committed = repository.get_reservation("o-1")
    assert committed is not None
    assert repository.release_reservation(committed, LATER) is True
    assert stock(TSHIRT) == catalog[TSHIRT]["stock"]
    item = table.get_item(Key={"pk": "RESERVATION#o-1"})["Item"]
    assert (item["status"], item["releasedAt"], item["updatedAt"]) == ("RELEASED", LATER, LATER)


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
    with pytest.raises(TransactionConflictException, match="Transaction cancelled"):
        repository.reserve("o-1", {TSHIRT: 1}, NOW)
    with pytest.raises(TransactionConflictException):
        repository.release_reservation(
            Reservation("o-1", {TSHIRT: 1}, ReservationStatus.RESERVED), NOW
        )


def test_other_cancellations_are_not_reported_as_business_outcomes(
    repository, catalog, monkeypatch
):
    def throttled(**_):
        raise _cancelled("None", "ThrottlingError")

    monkeypatch.setattr(repository._client, "transact_write_items", throttled)
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        repository.reserve("o-1", {TSHIRT: 1}, NOW)
