"""The sandbox provider: each documented token, idempotency-key replay, durable attempt counts,
capture and cancel of an authorization."""

import pytest

from payments_service.adapters.provider import (
    AlreadyCaptured,
    AuthorizationCancelled,
    CardDeclined,
    InvalidProviderRequest,
    ProviderAuthorization,
    ProviderUnavailable,
)
from payments_service.adapters.simulated_provider import SimulatedProvider, charge_id_for
from tests.services.payments.conftest import TABLE_NAME


@pytest.fixture
def new_provider(dynamodb):
    """A provider as a new Lambda environment would build it, over the same ledger."""
    return lambda: SimulatedProvider(dynamodb, TABLE_NAME)


def charge_items(snapshot) -> list[dict]:
    """The charges the sandbox made (its ledger also records declines under the same prefix)."""
    return [
        item
        for pk, item in snapshot().items()
        if pk.startswith("SIMPROVIDER#CHARGE#") and item.get("state") == "SUCCEEDED"
    ]


def charge_entry(snapshot, idempotency_key: str) -> dict:
    return snapshot()[f"SIMPROVIDER#CHARGE#{charge_id_for(idempotency_key)}"]


def captured(provider, token: str) -> ProviderAuthorization:
    """A charge of 2598 USD for ord-1, authorized and captured."""
    charge = provider.authorize(token, 2598, "USD", "ord-1:charge")
    provider.capture(charge.payment_id, 2598, "ord-1:capture")
    return charge


@pytest.mark.parametrize("token", ["tok_visa", "tok_mastercard", "tok_refundOutage"])
def test_succeeding_tokens_create_one_charge(provider, snapshot, token):
    charge = provider.authorize(token, 2598, "USD", "ord-1:charge")

    assert charge.payment_id.startswith("ch_sim_")
    [stored] = charge_items(snapshot)
    assert stored == charge_entry(snapshot, "ord-1:charge")
    assert (stored["chargeId"], stored["amountCents"], stored["currency"]) == (
        charge.payment_id,
        2598,
        "USD",
    )
    assert (stored["idempotencyKey"], stored["refundsFail"]) == (
        "ord-1:charge",
        token == "tok_refundOutage",
    )


@pytest.mark.parametrize(
    ("token", "decline_code"),
    [
        ("tok_chargeDeclined", "generic_decline"),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("tok_unknown", "invalid_token"),
        ("tok_outage_0", "invalid_token"),
        ("tok_outage_10", "invalid_token"),
        ("", "invalid_token"),
    ],
)
def test_declining_tokens_decline_and_replay_the_decline(provider, snapshot, token, decline_code):
    for _ in range(2):
        with pytest.raises(CardDeclined) as declined:
            provider.authorize(token, 2598, "USD", "ord-1:charge")
        assert declined.value.decline_code == decline_code

    entry = charge_entry(snapshot, "ord-1:charge")
    assert (entry["state"], entry["declineCode"]) == ("DECLINED", decline_code)
    assert charge_items(snapshot) == []


def test_a_key_that_declined_keeps_declining_whatever_the_token(provider):
    with pytest.raises(CardDeclined):
        provider.authorize("tok_chargeDeclined", 2598, "USD", "ord-1:charge")

    with pytest.raises(CardDeclined) as replayed:
        provider.authorize("tok_visa", 2598, "USD", "ord-1:charge")
    assert replayed.value.decline_code == "generic_decline"


@pytest.mark.parametrize("outages", [1, 3, 9])
def test_outage_token_fails_n_attempts_across_fresh_instances_then_succeeds(
    new_provider, snapshot, outages
):
    for attempt in range(1, outages + 1):
        with pytest.raises(ProviderUnavailable):
            # A new instance per attempt, as a new Lambda environment would have.
            new_provider().authorize(f"tok_outage_{outages}", 500, "EUR", "ord-2:charge")
        assert charge_entry(snapshot, "ord-2:charge")["attempts"] == attempt
        assert charge_items(snapshot) == []

    charge = new_provider().authorize(f"tok_outage_{outages}", 500, "EUR", "ord-2:charge")

    assert charge_entry(snapshot, "ord-2:charge")["chargeId"] == charge.payment_id
    assert len(charge_items(snapshot)) == 1
    replayed = new_provider().authorize(f"tok_outage_{outages}", 500, "EUR", "ord-2:charge")
    assert replayed == charge


def test_outage_counts_are_per_idempotency_key(provider):
    with pytest.raises(ProviderUnavailable):
        provider.authorize("tok_outage_1", 500, "EUR", "ord-a:charge")
    with pytest.raises(ProviderUnavailable):
        provider.authorize("tok_outage_1", 500, "EUR", "ord-b:charge")

    assert provider.authorize("tok_outage_1", 500, "EUR", "ord-a:charge").payment_id


def test_replayed_key_returns_the_same_charge_never_a_second_one(new_provider, snapshot):
    first = new_provider().authorize("tok_visa", 2598, "USD", "ord-1:charge")
    again = new_provider().authorize("tok_visa", 2598, "USD", "ord-1:charge")

    assert again == first
    assert len(charge_items(snapshot)) == 1


def test_different_keys_make_different_charges(provider, snapshot):
    first = provider.authorize("tok_visa", 2598, "USD", "ord-1:charge")
    second = provider.authorize("tok_visa", 2598, "USD", "ord-2:charge")

    assert first != second
    assert len(charge_items(snapshot)) == 2


def test_reusing_a_key_with_another_amount_is_refused(provider, snapshot):
    provider.authorize("tok_visa", 2598, "USD", "ord-1:charge")

    with pytest.raises(InvalidProviderRequest):
        provider.authorize("tok_visa", 9999, "USD", "ord-1:charge")
    with pytest.raises(InvalidProviderRequest):
        provider.authorize("tok_outage_1", 2598, "EUR", "ord-1:charge")
    assert len(charge_items(snapshot)) == 1
    assert charge_entry(snapshot, "ord-1:charge")["amountCents"] == 2598


def test_ledger_never_holds_the_token(provider, snapshot):
    provider.authorize("tok_mastercard", 2598, "USD", "ord-1:charge")
    with pytest.raises(CardDeclined):
        provider.authorize("tok_chargeDeclined", 2598, "USD", "ord-2:charge")

    stored = repr(snapshot())
    assert "tok_" not in stored and "mastercard" not in stored


def test_capture_takes_the_authorization_once_and_a_repeat_changes_nothing(provider, snapshot):
    charge = provider.authorize("tok_visa", 2598, "USD", "ord-1:charge")

    provider.capture(charge.payment_id, 2598, "ord-1:capture")
    provider.capture(charge.payment_id, 2598, "ord-1:capture")

    [stored] = charge_items(snapshot)
    assert (stored["captured"], stored["capturedCents"]) == (True, 2598)
    with pytest.raises(InvalidProviderRequest):  # more than was authorized
        provider.capture(provider.authorize("tok_visa", 100, "USD", "o2").payment_id, 101, "c")


def test_cancel_releases_an_authorization_which_then_cannot_be_captured(provider, snapshot):
    charge = provider.authorize("tok_visa", 2598, "USD", "ord-1:charge")

    provider.cancel(charge.payment_id, "ord-1:cancel")
    provider.cancel(charge.payment_id, "ord-1:cancel")  # a repeat is no error

    with pytest.raises(AuthorizationCancelled):
        provider.capture(charge.payment_id, 2598, "ord-1:capture")
    with pytest.raises(InvalidProviderRequest):  # nothing captured, nothing to refund
        provider.refund(charge.payment_id, 2598, "ord-1:refund")
    [stored] = charge_items(snapshot)
    assert stored["cancelled"] is True and "captured" not in stored


def test_a_captured_charge_cannot_be_cancelled_only_refunded(provider):
    charge = captured(provider, "tok_visa")

    with pytest.raises(AlreadyCaptured):
        provider.cancel(charge.payment_id, "ord-1:cancel")
    assert provider.refund(charge.payment_id, 2598, "ord-1:refund").refund_id


def test_capture_or_cancel_of_a_decline_or_an_unknown_charge_is_refused(provider):
    with pytest.raises(CardDeclined):
        provider.authorize("tok_chargeDeclined", 100, "USD", "ord-8:charge")
    for payment_id in (charge_id_for("ord-8:charge"), "ch_sim_missing"):
        with pytest.raises(InvalidProviderRequest):
            provider.capture(payment_id, 100, "ord-8:capture")
        with pytest.raises(InvalidProviderRequest):
            provider.cancel(payment_id, "ord-8:cancel")


def test_refund_succeeds_once_and_replays_the_same_refund(provider, snapshot):
    charge = captured(provider, "tok_visa")

    refund = provider.refund(charge.payment_id, 2598, "ord-1:refund")
    again = provider.refund(charge.payment_id, 2598, "ord-1:refund")

    assert refund.refund_id.startswith("re_sim_")
    assert again == refund
    [stored] = charge_items(snapshot)
    assert (stored["refundId"], stored["refundedCents"]) == (refund.refund_id, 2598)


def test_a_charge_cannot_be_refunded_twice_under_another_key(provider, snapshot):
    charge = captured(provider, "tok_visa")
    refund = provider.refund(charge.payment_id, 2598, "ord-1:refund")

    with pytest.raises(InvalidProviderRequest):
        provider.refund(charge.payment_id, 2598, "other:refund")
    assert charge_items(snapshot)[0]["refundId"] == refund.refund_id
    assert "state" not in snapshot()["SIMPROVIDER#other:refund"]


def test_refund_above_the_charge_or_of_an_unknown_charge_is_refused(provider, snapshot):
    charge = captured(provider, "tok_visa")

    with pytest.raises(InvalidProviderRequest):
        provider.refund(charge.payment_id, 2599, "ord-1:refund")
    with pytest.raises(InvalidProviderRequest):
        provider.refund("ch_sim_missing", 100, "ord-9:refund")
    with pytest.raises(CardDeclined):
        provider.authorize("tok_chargeDeclined", 100, "USD", "ord-8:charge")
    with pytest.raises(InvalidProviderRequest):  # a decline is not a charge
        provider.refund(charge_id_for("ord-8:charge"), 100, "ord-8:refund")
    assert "refundId" not in charge_items(snapshot)[0]


def test_refund_outage_token_refunds_always_fail_transiently(new_provider, snapshot):
    charge = captured(new_provider(), "tok_refundOutage")

    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            new_provider().refund(charge.payment_id, 2598, "ord-1:refund")

    assert "refundId" not in charge_items(snapshot)[0]
    assert snapshot()["SIMPROVIDER#ord-1:refund"]["attempts"] == 3


def test_ledger_entries_keep_their_attribute_types(provider, dynamodb):
    charge = captured(provider, "tok_refundOutage")
    with pytest.raises(ProviderUnavailable):
        provider.refund(charge.payment_id, 2598, "ord-1:refund")

    def types(pk: str) -> dict[str, str]:
        item = dynamodb.get_item(TableName=TABLE_NAME, Key={"pk": {"S": pk}})["Item"]
        return {name: next(iter(value)) for name, value in item.items()}

    assert types(f"SIMPROVIDER#CHARGE#{charge.payment_id}") == {
        "pk": "S",
        "kind": "S",
        "idempotencyKey": "S",
        "amountCents": "N",
        "currency": "S",
        "state": "S",
        "chargeId": "S",
        "refundsFail": "BOOL",
        "captured": "BOOL",
        "capturedCents": "N",
        "createdAt": "S",
        "updatedAt": "S",
    }
    assert types("SIMPROVIDER#ord-1:refund") == {
        "pk": "S",
        "kind": "S",
        "chargeId": "S",
        "amountCents": "N",
        "attempts": "N",
        "createdAt": "S",
        "updatedAt": "S",
    }


class TwinSettlesFirst:
    """The DynamoDB client, but a twin request with the same key settles its transaction just
    before this one's (two deliveries of the same refund at once)."""

    def __init__(self, client, twin) -> None:
        self._client = client
        self._twin = twin

    def __getattr__(self, name):
        return getattr(self._client, name)

    def transact_write_items(self, **request):
        twin, self._twin = self._twin, None
        if twin:
            twin()
        return self._client.transact_write_items(**request)


def test_a_refund_settled_first_by_a_twin_request_is_the_answer(provider, dynamodb, snapshot):
    charge = captured(provider, "tok_visa")
    twin_refunds = []
    racing = SimulatedProvider(
        TwinSettlesFirst(
            dynamodb,
            lambda: twin_refunds.append(provider.refund(charge.payment_id, 2598, "ord-1:refund")),
        ),
        TABLE_NAME,
    )

    refund = racing.refund(charge.payment_id, 2598, "ord-1:refund")

    assert [refund] == twin_refunds
    assert charge_items(snapshot)[0]["refundId"] == refund.refund_id
