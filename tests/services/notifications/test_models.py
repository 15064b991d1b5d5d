"""Parsing SQS bodies into order outcome events."""

import copy
import json

import pytest
from pydantic import ValidationError

from notifications_service.models import (
    OrderConfirmedEvent,
    OrderFailedEvent,
    is_deliverable,
    parse_order_outcome,
)
from tests.services.notifications.helpers import event_bodies, load_event
from tests.support.email_addresses import ACCEPTED, REFUSED


@pytest.fixture
def bodies() -> list[dict]:
    return event_bodies(load_event("send-notification.json"))


def test_parses_both_outcomes(bodies):
    confirmed = parse_order_outcome(json.dumps(bodies[0]))
    failed = parse_order_outcome(json.dumps(bodies[1]))

    assert isinstance(confirmed, OrderConfirmedEvent)
    assert confirmed.id == "5b1f3c2e-8a4d-4e6f-9b7a-1c2d3e4f5a6b"
    assert confirmed.detail.amountCents == 3097
    assert isinstance(failed, OrderFailedEvent)
    assert failed.detail.reason == "PaymentDeclined"


def test_failed_event_without_reason_or_totals_still_parses(bodies):
    failed = copy.deepcopy(bodies[1])
    for key in ("reason", "amountCents", "currency", "items"):
        del failed["detail"][key]

    event = parse_order_outcome(json.dumps(failed))

    assert isinstance(event, OrderFailedEvent)
    assert event.detail.reason is None


def _mutated(body: dict, path: tuple, value) -> str:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(body)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("detail", "customerId"), None),
        (("detail", "customerId"), "jane doe"),
        (("detail", "orderId"), None),
        (("detail", "amountCents"), 12.5),
        (("detail", "items"), []),
        (("detail-type",), "OrderPlaced"),
        (("source",), "ecommerce.orders"),
        (("id",), None),
    ],
)
def test_rejects_events_we_cannot_email_about(bodies, path, value):
    with pytest.raises(ValidationError):
        parse_order_outcome(_mutated(bodies[0], path, value))


def test_rejects_non_json_body():
    with pytest.raises(ValidationError):
        parse_order_outcome("{not json")


def test_an_address_in_an_event_is_not_read(bodies):
    """Events name the customer by id; an address a producer adds is ignored, never mailed."""
    event = parse_order_outcome(_mutated(bodies[0], ("detail", "email"), "x@example.com"))
    assert "email" not in event.detail.model_dump()


@pytest.mark.parametrize("address", ACCEPTED.values(), ids=list(ACCEPTED))
def test_every_address_ses_accepts_is_deliverable(address):
    assert is_deliverable(address)


@pytest.mark.parametrize("address", REFUSED.values(), ids=list(REFUSED))
def test_no_address_ses_refuses_is_deliverable(address):
    assert not is_deliverable(address)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("detail", "orderId"), ["jane.doe@example.com"]),
        (("detail", "customerId"), "jane.doe@example..com\u0000"),
        (("detail-type",), {"to": "jane.doe@example.com"}),
    ],
)
def test_errors_never_quote_the_event_and_its_address(bodies, path, value):
    with pytest.raises(ValidationError) as invalid:
        parse_order_outcome(_mutated(bodies[0], path, value))
    assert "jane.doe@example" not in str(invalid.value)
