"""The Stripe adapter's own calls, through the real SDK with its HTTP client replaced: what each
operation sends (the idempotency key above all: the local run's fake Stripe ignores it, so
this is where it is checked) and how Stripe's answers become the port's errors."""

import json
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from stripe import APIConnectionError, HTTPClient

from payments_service.adapters import stripe_provider
from payments_service.adapters.provider import (
    AlreadyCaptured,
    AuthorizationCancelled,
    CardDeclined,
    InvalidProviderRequest,
    ProviderAuthorization,
    ProviderRefund,
    ProviderUnavailable,
)
from payments_service.adapters.stripe_provider import StripeProvider
from tests.support.cfn import load_template

KEY = "sk_test_adapter"


def intent(status: str, id_: str = "pi_1") -> tuple[int, dict]:
    return 200, {"id": id_, "object": "payment_intent", "status": status}


def stripe_error(status: int, type_: str, code: str | None = None, **more) -> tuple[int, dict]:
    return status, {"error": {"type": type_, "code": code, "message": "m", **more}}


class RecordingHttpClient(HTTPClient):
    """Answers each request with the next canned (status, body) and records what was sent."""

    name = "recording"

    def __init__(self, *answers: tuple[int, dict] | Exception) -> None:
        super().__init__()
        self.answers = list(answers)
        self.sent: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        self.sent.append(
            {
                "method": method,
                "path": parts.path,
                "host": parts.netloc,
                "params": {k: v[0] for k, v in parse_qs(post_data or parts.query).items()},
                "idempotency_key": (headers or {}).get("Idempotency-Key"),
                "authorization": (headers or {}).get("Authorization"),
            }
        )
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return json.dumps(body), status, {}

    def close(self):
        pass


def provider(*answers, api_base: str | None = None) -> tuple[StripeProvider, RecordingHttpClient]:
    http = RecordingHttpClient(*answers)
    return StripeProvider(lambda: KEY, api_base, http_client=http), http


def test_authorize_creates_a_confirmed_manual_capture_intent_under_the_order_key():
    stripe, http = provider(intent("requires_capture"))

    authorization = stripe.authorize("pm_card_visa", 2598, "USD", "ord-1:authorize")

    assert authorization == ProviderAuthorization(payment_id="pi_1")
    [sent] = http.sent
    assert (sent["method"], sent["path"], sent["host"]) == (
        "post",
        "/v1/payment_intents",
        "api.stripe.com",
    )
    assert sent["params"] == {
        "amount": "2598",
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "allowed_payment_method_types[0]": "card",
        "capture_method": "manual",
        "confirm": "true",
    }
    assert sent["idempotency_key"] == "ord-1:authorize"
    assert sent["authorization"] == f"Bearer {KEY}"


def test_capture_cancel_and_refund_each_send_their_own_key():
    stripe, http = provider(
        intent("succeeded"),
        intent("canceled", "pi_2"),
        (200, {"id": "re_1", "object": "refund", "status": "succeeded"}),
    )

    stripe.capture("pi_1", 2598, "ord-1:capture")
    stripe.cancel("pi_2", "ord-2:cancel")
    refund = stripe.refund("pi_1", 2598, "ord-1:refund")

    assert refund == ProviderRefund(refund_id="re_1")
    assert [(s["path"], s["params"], s["idempotency_key"]) for s in http.sent] == [
        ("/v1/payment_intents/pi_1/capture", {"amount_to_capture": "2598"}, "ord-1:capture"),
        ("/v1/payment_intents/pi_2/cancel", {}, "ord-2:cancel"),
        ("/v1/refunds", {"payment_intent": "pi_1", "amount": "2598"}, "ord-1:refund"),
    ]


def test_the_api_base_points_the_sdk_elsewhere():
    stripe, http = provider(intent("requires_capture"), api_base="http://127.0.0.1:8420")

    stripe.authorize("pm_card_visa", 100, "USD", "k")

    assert http.sent[0]["host"] == "127.0.0.1:8420"


def test_a_rotated_key_is_used_from_the_next_call():
    keys = iter(["sk_test_old", "sk_test_new"])
    http = RecordingHttpClient(intent("requires_capture"), intent("requires_capture"))
    stripe = StripeProvider(lambda: next(keys), http_client=http)

    stripe.authorize("pm_card_visa", 100, "USD", "a")
    stripe.authorize("pm_card_visa", 100, "USD", "b")

    assert [s["authorization"] for s in http.sent] == ["Bearer sk_test_old", "Bearer sk_test_new"]


@pytest.mark.parametrize(
    ("answer", "decline_code"),
    [
        (
            stripe_error(402, "card_error", "card_declined", decline_code="generic_decline"),
            "generic_decline",
        ),
        (
            stripe_error(402, "card_error", "card_declined", decline_code="insufficient_funds"),
            "insufficient_funds",
        ),
        (stripe_error(402, "card_error", "expired_card"), "expired_card"),
        (stripe_error(404, "invalid_request_error", "resource_missing"), "invalid_payment_method"),
        (
            stripe_error(400, "invalid_request_error", "resource_missing", param="payment_method"),
            "invalid_payment_method",
        ),
        (intent("requires_action"), "authentication_required"),
    ],
)
def test_declines_are_the_customers_never_retried(answer, decline_code):
    stripe, _ = provider(answer)

    with pytest.raises(CardDeclined) as declined:
        stripe.authorize("pm_x", 100, "USD", "k")
    assert declined.value.decline_code == decline_code


@pytest.mark.parametrize(
    "answer",
    [
        stripe_error(429, "invalid_request_error", "rate_limit"),
        stripe_error(500, "api_error"),
        stripe_error(503, "api_error"),
        APIConnectionError("could not connect"),  # what the SDK's HTTP client raises
    ],
)
@pytest.mark.parametrize("operation", ["authorize", "capture", "cancel", "refund"])
def test_outages_are_transient(answer, operation):
    stripe, _ = provider(answer)
    call = {
        "authorize": lambda: stripe.authorize("pm_card_visa", 100, "USD", "k"),
        "capture": lambda: stripe.capture("pi_1", 100, "k"),
        "cancel": lambda: stripe.cancel("pi_1", "k"),
        "refund": lambda: stripe.refund("pi_1", 100, "k"),
    }[operation]

    with pytest.raises(ProviderUnavailable):
        call()


def test_a_request_stripe_refuses_is_our_bug_and_quotes_nothing_sent():
    stripe, _ = provider(
        stripe_error(400, "invalid_request_error", "parameter_unknown", message="pm_secret")
    )

    with pytest.raises(InvalidProviderRequest) as refused:
        stripe.refund("pi_1", 100, "k")
    assert "pm_secret" not in str(refused.value)
    assert "parameter_unknown" in str(refused.value)


def test_capturing_a_captured_intent_is_done_and_a_cancelled_one_is_too_late():
    unexpected = stripe_error(400, "invalid_request_error", "payment_intent_unexpected_state")
    stripe, http = provider(unexpected, intent("succeeded"), unexpected, intent("canceled"))

    stripe.capture("pi_1", 100, "k")  # a repeat after a capture whose answer was lost
    with pytest.raises(AuthorizationCancelled):
        stripe.capture("pi_1", 100, "k")
    assert [s["method"] for s in http.sent] == ["post", "get", "post", "get"]


def test_cancelling_a_cancelled_intent_is_done_and_a_captured_one_needs_a_refund():
    unexpected = stripe_error(400, "invalid_request_error", "payment_intent_unexpected_state")
    stripe, _ = provider(unexpected, intent("canceled"), unexpected, intent("succeeded"))

    stripe.cancel("pi_1", "k")
    with pytest.raises(AlreadyCaptured):
        stripe.cancel("pi_1", "k")


PROVIDER_FUNCTIONS = ("ChargePaymentFunction", "CapturePaymentFunction", "RefundPaymentFunction")


def test_a_stripe_that_never_answers_is_an_outage_well_inside_the_functions_timeout(
    monkeypatch,
):
    resources = load_template("services/payments/template.yaml")["Resources"]
    timeouts = [resources[f]["Properties"]["Timeout"] for f in PROVIDER_FUNCTIONS]
    assert sum(stripe_provider.TIMEOUT_SECONDS) < min(timeouts)

    silent = socket.socket()  # accepts the connection, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    monkeypatch.setattr(stripe_provider, "TIMEOUT_SECONDS", (0.5, 0.5))
    provider = StripeProvider(lambda: KEY, f"http://127.0.0.1:{silent.getsockname()[1]}")
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable):
            provider.authorize("pm_card_visa", 1000, "USD", "ord-1:authorize")
    finally:
        silent.close()
    assert time.monotonic() - started < 5
