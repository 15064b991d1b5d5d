"""Email wording: totals from cents, customer-friendly failure reasons, no internal text."""

import json
import re
from datetime import datetime, timedelta

import pytest

from notifications_service.domain import (
    GENERIC_REASON,
    compose_email,
    customer_reason,
    format_money,
    now,
)
from notifications_service.models import parse_order_outcome
from tests.services.notifications.helpers import event_bodies, load_event


def _sample_events():
    bodies = event_bodies(load_event("send-notification.json"))
    return [parse_order_outcome(json.dumps(body)) for body in bodies]


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (2598, "USD", "25.98 USD"),
        (5, "EUR", "0.05 EUR"),
        (0, "USD", "0.00 USD"),
        (123456789, "GBP", "1234567.89 GBP"),
        (500, "JPY", "500 JPY"),
    ],
)
def test_format_money_from_minor_units(cents, currency, expected):
    assert format_money(cents, currency) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("PaymentDeclined", "your payment was declined"),
        ("InsufficientFunds", "your payment was declined"),
        ("OutOfStock", "an item went out of stock"),
        ("UnknownSku", GENERIC_REASON),
        ("States.Timeout", GENERIC_REASON),
        (None, GENERIC_REASON),
        ("", GENERIC_REASON),
    ],
)
def test_customer_reason(code, expected):
    assert customer_reason(code) == expected


def test_confirmed_email_lists_items_and_total():
    confirmed, _ = _sample_events()

    message = compose_email(confirmed)

    assert message.template == "confirmed"
    assert message.subject == "Your order ord-7f3a9c1e is confirmed"
    assert "2 x SKU-TSHIRT @ 12.99 USD" in message.body
    assert "1 x SKU-SOCKS @ 4.99 USD" in message.body
    assert "Total: 30.97 USD" in message.body


def test_confirmed_email_prefers_item_name_and_tolerates_missing_unit_price():
    body = event_bodies(load_event("send-notification.json"))[0]
    body["detail"]["items"] = [{"sku": "SKU-MUG", "quantity": 3, "name": "Coffee mug"}]
    event = parse_order_outcome(json.dumps(body))

    assert "  3 x Coffee mug\n" in compose_email(event).body


def test_failed_email_gives_customer_reason():
    _, failed = _sample_events()

    message = compose_email(failed)

    assert message.template == "failed"
    assert message.subject == "We could not complete your order ord-2b8e4d60"
    assert "Order ord-2b8e4d60: your payment was declined." in message.body
    assert "PaymentDeclined" not in message.body


def test_failed_email_never_shows_internal_error_text():
    _, failed = _sample_events()
    internal = "Lambda.ServiceException: arn:aws:lambda:us-east-1:123456789012:function:x"
    event = failed.model_copy(
        update={"detail": failed.detail.model_copy(update={"reason": internal})}
    )

    message = compose_email(event)

    assert f"Order ord-2b8e4d60: {GENERIC_REASON}." in message.body
    assert "Lambda" not in message.body
    assert "arn:" not in message.body


def test_now_is_utc_iso_8601_to_the_millisecond():
    stamp = now()

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", stamp)
    assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)
