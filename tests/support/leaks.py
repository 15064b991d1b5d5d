"""Proving that a secret never leaves a function in an error or a log line."""

import io
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import ValidationError

# A live-looking provider token: what must never appear in an error or a log line.
PAYMENT_TOKEN = "tok_live_4eC39HqLyjWDarjtT1zdp7dc"


def execution_state(**changes) -> dict:
    """The checkout's execution input as the orders API writes it (every task receives the whole
    state), with `changes` applied; a change to None removes the field."""
    state = {
        "orderId": "f38d6a7e-f6f5-503f-bf8c-badf67eec4d5",
        "customerId": "cust-0001",
        "email": "ada@example.com",
        "currency": "USD",
        "amountCents": 2598,
        "paymentReference": "payref_1a08236055bd5e1dbb20becc71bf5f9e",
        "items": [{"sku": "SKU-TSHIRT-BLK-M", "quantity": 2, "unitPriceCents": 1299}],
    }
    state.update(changes)
    return {name: value for name, value in state.items() if value is not None}


def failure_report(error: BaseException) -> str:
    """What the Lambda runtime reports and logs for an unhandled error: its message and its
    traceback, chained causes included."""
    return "".join(traceback.format_exception(error))


@contextmanager
def log_lines(logger) -> Iterator[io.StringIO]:
    """What a Powertools Logger writes meanwhile. It binds its stream at import, out of capsys'
    reach once another test imported the module; that stream may be closed by now, so it is
    swapped, not flushed as setStream would."""
    handler = logger.registered_handler
    previous, handler.stream = handler.stream, io.StringIO()
    try:
        yield handler.stream
    finally:
        handler.stream = previous


def assert_refused_without_showing_the_token(handler_module, payload, context, capsys) -> None:
    """The handler refuses `payload` with ValidationError, and the token is in none of: the
    error as Lambda reports it, the module's log lines, what was printed (metrics included)."""
    with log_lines(handler_module.logger) as logs, pytest.raises(ValidationError) as invalid:
        handler_module.handler(payload, context)
    printed = capsys.readouterr()
    for text in (failure_report(invalid.value), logs.getvalue(), printed.out, printed.err):
        assert PAYMENT_TOKEN not in text


# What must not show where it does not belong: a provider token, an email address, a card-like
# number (13-19 digits, spaces or dashes between them allowed, Luhn-valid, and starting as a
# payment card does, 2-6: epoch milliseconds are 13 digits starting with 1).
# Tokens are a sandbox token (tok_...) or a Stripe PaymentMethod (pm_...); a PaymentIntent id
# (pi_...) is the payment's reference at Stripe, not the customer's card, and may show.
TOKEN = re.compile(r"(?<![A-Za-z0-9])(?:tok|pm)_[A-Za-z0-9_]+")
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A whole run of digits: not part of a word (a hex id), nor of a longer run (a UUID's groups).
DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])(?<!\d[ -])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])(?![ -]\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_like_numbers(text: str) -> list[str]:
    found = []
    for run in DIGIT_RUN.findall(text):
        digits = re.sub(r"[ -]", "", run)
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
            found.append(run)
    return found


def secrets_in(text: str, *, emails: bool = True) -> list[str]:
    """The tokens, card-like numbers and (unless `emails` is False) email addresses in `text`."""
    found = TOKEN.findall(text) + card_like_numbers(text)
    return found + EMAIL_ADDRESS.findall(text) if emails else found
