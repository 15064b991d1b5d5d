"""The local run's fake Stripe: localstripe served on loopback for the real SDK, its faults, and
the two places where the fake adjusts localstripe (watched, so an upgrade that moves them
fails here first)."""

import pytest
from stripe import APIError, InvalidRequestError, RateLimitError, StripeClient

from localrun.fake_stripe import FakeStripe

CARD = {
    "amount": 1000,
    "currency": "usd",
    "payment_method": "pm_card_visa",
    "allowed_payment_method_types": ["card"],
    "capture_method": "manual",
    "confirm": True,
}


@pytest.fixture
def fake():
    running = FakeStripe()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def stripe(fake):
    return StripeClient("sk_test_x", base_addresses={"api": fake.url}, max_network_retries=0)


def test_the_real_sdk_authorizes_captures_and_the_fake_reports_the_intent(fake, stripe):
    intent = stripe.v1.payment_intents.create(CARD)
    assert intent.status == "requires_capture"

    stripe.v1.payment_intents.capture(intent.id)

    assert fake.payment_intent(intent.id) == {
        "id": intent.id,
        "status": "succeeded",
        "amount": 1000,
        "currency": "usd",
        "captured": True,
        "refunded": False,
    }
    assert fake.requests == [
        ("POST", "/v1/payment_intents"),
        ("POST", f"/v1/payment_intents/{intent.id}/capture"),
    ]


def test_only_card_payments_are_taken(stripe):
    with pytest.raises(InvalidRequestError, match="only card payments"):
        stripe.v1.payment_intents.create(CARD | {"allowed_payment_method_types": ["sepa_debit"]})


def test_a_fault_meets_only_matching_requests_after_the_ones_let_through(fake, stripe):
    intent = stripe.v1.payment_intents.create(CARD)
    fake.fail(2, 503, after=1, path=r"/capture$")

    stripe.v1.payment_intents.capture(intent.id)  # the one let through
    other = stripe.v1.payment_intents.create(CARD)  # does not match: untouched
    with pytest.raises(APIError):
        stripe.v1.payment_intents.capture(other.id)
    with pytest.raises(APIError):
        stripe.v1.payment_intents.capture(other.id)
    stripe.v1.payment_intents.capture(other.id)  # the fault is spent

    fake.fail(1, 429)
    with pytest.raises(RateLimitError):
        stripe.v1.payment_intents.retrieve(other.id)
    fake.fail(5, 503)
    fake.clear_faults()
    assert stripe.v1.payment_intents.retrieve(other.id).status == "succeeded"


def test_each_start_begins_empty_and_a_second_one_in_the_process_is_refused(fake, stripe):
    intent = stripe.v1.payment_intents.create(CARD)
    with pytest.raises(RuntimeError, match="already running"):
        FakeStripe().start()
    fake.stop()

    again = FakeStripe()
    url = again.start()
    try:
        fresh = StripeClient("sk_test_x", base_addresses={"api": url}, max_network_retries=0)
        with pytest.raises(InvalidRequestError) as missing:
            fresh.v1.payment_intents.retrieve(intent.id)
        assert missing.value.http_status == 404
    finally:
        again.stop()


def test_the_localstripe_internals_the_fake_adjusts_are_where_it_expects():
    """After a localstripe upgrade: the store still pickles itself through `dump_to_disk`, and
    PaymentIntent creation still goes through the `_api_create` classmethod."""
    from localstripe import resources, server

    assert callable(type(resources.store).dump_to_disk)
    assert isinstance(resources.PaymentIntent.__dict__["_api_create"], classmethod)
    assert server.app is not None
