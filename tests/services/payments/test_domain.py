"""Pure payment rules and the task models, without AWS."""

import re
from datetime import datetime

import pytest
from pydantic import ValidationError

from payments_service import domain
from payments_service.errors import (
    InsufficientFunds,
    PaymentCancelled,
    PaymentConflict,
    PaymentDeclined,
)
from payments_service.models import (
    ChargePaymentRequest,
    PaymentRecord,
    PaymentStatus,
    RegisterPaymentRequest,
)

REQUEST = ChargePaymentRequest(
    orderId="ord-1", amountCents=2598, currency="USD", paymentReference="payref_1"
)


def record(status: PaymentStatus, **fields) -> PaymentRecord:
    defaults = {"orderId": "ord-1", "paymentId": "pay_1", "amountCents": 2598, "currency": "USD"}
    return PaymentRecord(status=status, **(defaults | fields))


def test_the_clock_is_utc_iso_8601_to_the_millisecond():
    stamp = domain.now()

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", stamp)
    assert datetime.fromisoformat(stamp).utcoffset().total_seconds() == 0


def test_provider_idempotency_keys_are_per_order_and_operation():
    assert [
        key("ord-1")
        for key in (
            domain.authorize_idempotency_key,
            domain.capture_idempotency_key,
            domain.cancel_idempotency_key,
            domain.refund_idempotency_key,
        )
    ] == ["ord-1:authorize", "ord-1:capture", "ord-1:cancel", "ord-1:refund"]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("insufficient_funds", InsufficientFunds),
        ("generic_decline", PaymentDeclined),
        ("invalid_token", PaymentDeclined),
    ],
)
def test_decline_codes_map_to_asl_errors(code, error):
    mapped = domain.decline_error(code)
    assert type(mapped) is error
    assert mapped.decline_code == code


@pytest.mark.parametrize("status", [PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED])
def test_repeated_charge_of_an_authorized_payment_returns_the_first_result(status):
    result = domain.answer_repeated_charge(record(status), REQUEST)
    assert result == {"paymentId": "pay_1", "status": "AUTHORIZED"}


@pytest.mark.parametrize(
    "status", [PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, PaymentStatus.DECLINED]
)
@pytest.mark.parametrize("terms", [{"amountCents": 100}, {"currency": "EUR"}])
def test_repeated_charge_with_other_terms_is_a_conflict(status, terms):
    with pytest.raises(PaymentConflict):
        domain.answer_repeated_charge(record(status, **terms), REQUEST)


@pytest.mark.parametrize(
    ("code", "error"),
    [("generic_decline", PaymentDeclined), ("insufficient_funds", InsufficientFunds)],
)
def test_repeated_charge_of_a_declined_payment_repeats_the_decline(code, error):
    with pytest.raises(PaymentDeclined) as raised:
        domain.answer_repeated_charge(record(PaymentStatus.DECLINED, declineCode=code), REQUEST)
    assert type(raised.value) is error


@pytest.mark.parametrize("status", [PaymentStatus.CANCELLED, PaymentStatus.REFUNDED])
def test_charge_after_cancel_or_refund_is_cancelled(status):
    with pytest.raises(PaymentCancelled):
        domain.answer_repeated_charge(record(status), REQUEST)


def test_cancelled_tombstone_without_terms_is_cancelled_not_a_conflict():
    with pytest.raises(PaymentCancelled):
        domain.answer_repeated_charge(PaymentRecord(orderId="ord-1", status="CANCELLED"), REQUEST)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (record(PaymentStatus.CANCELLED, providerPaymentId="pi_1"), True),
        (
            record(PaymentStatus.CANCELLED, providerPaymentId="pi_1", authorizationCancelledAt="t"),
            False,
        ),
        (record(PaymentStatus.CANCELLED), False),
        (record(PaymentStatus.AUTHORIZED, providerPaymentId="pi_1"), False),
    ],
)
def test_only_an_unreleased_authorization_on_a_cancelled_payment_needs_a_late_release(
    candidate, expected
):
    assert domain.needs_late_release(candidate) is expected


@pytest.mark.parametrize(
    "change",
    [
        {"amountCents": 0},
        {"amountCents": -5},
        {"amountCents": 25.98},
        {"amountCents": "2598"},
        {"amountCents": True},
        {"currency": "usd"},
        {"currency": "US"},
        {"currency": "USDX"},
        {"paymentReference": ""},
        {"paymentReference": "pay ref"},
        {"paymentReference": "p" * 129},
        {"orderId": ""},
    ],
)
def test_charge_request_validation(change):
    payload = {"orderId": "ord-1", "amountCents": 2598, "currency": "USD", "paymentReference": "r"}
    with pytest.raises(ValidationError):
        ChargePaymentRequest.model_validate(payload | change)


@pytest.mark.parametrize("missing", ["orderId", "amountCents", "currency", "paymentReference"])
def test_charge_request_fields_are_required(missing):
    payload = {"orderId": "ord-1", "amountCents": 2598, "currency": "USD", "paymentReference": "r"}
    del payload[missing]
    with pytest.raises(ValidationError):
        ChargePaymentRequest.model_validate(payload)


def test_the_token_never_shows_in_a_repr_or_dump():
    registration = RegisterPaymentRequest(orderId="ord-1", paymentToken="tok_visa")
    assert "tok_visa" not in repr(registration)
    assert "tok_visa" not in str(registration.model_dump())


@pytest.mark.parametrize(
    "change",
    [
        {"paymentToken": ""},
        {"paymentToken": "   "},
        {"paymentToken": "t" * 257},
        {"paymentToken": 4242},
        {"orderId": ""},
        {"orderId": "o" * 129},
    ],
)
def test_register_request_validation(change):
    with pytest.raises(ValidationError):
        RegisterPaymentRequest.model_validate(
            {"orderId": "ord-1", "paymentToken": "tok_x"} | change
        )


def test_an_order_has_one_opaque_payment_reference():
    reference = domain.payment_reference_for("ord-1")
    assert reference == domain.payment_reference_for("ord-1")
    assert reference != domain.payment_reference_for("ord-2")
    assert re.fullmatch(r"payref_[0-9a-f]{32}", reference)
    assert "ord-1" not in reference
