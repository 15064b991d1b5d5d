"""What the customer reads: subjects and bodies per order outcome; the service's clock. No AWS
calls here."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from notifications_service.models import (
    OrderConfirmedDetail,
    OrderConfirmedEvent,
    OrderFailedDetail,
    OrderFailedEvent,
)

CONFIRMED_TEMPLATE = "confirmed"
FAILED_TEMPLATE = "failed"

# ISO 4217 currencies without minor units; every other currency is shown with 2 decimals.
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})

# ASL error names -> wording for customers. Anything else (a bug, a timeout, an error added later)
# gets the generic sentence: internal error text never reaches a customer.
_CUSTOMER_REASONS = {
    "PaymentDeclined": "your payment was declined",
    "InsufficientFunds": "your payment was declined",
    "OutOfStock": "an item went out of stock",
}
GENERIC_REASON = "we could not complete your order"


def now() -> str:
    """The service's one clock: UTC, ISO 8601, milliseconds (sortable as a string)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class EmailMessage:
    template: str
    subject: str
    body: str


def format_money(amount_cents: int, currency: str) -> str:
    """2598, "USD" -> "25.98 USD"; exact (Decimal), never a float."""
    if currency in _ZERO_DECIMAL_CURRENCIES:
        return f"{amount_cents} {currency}"
    return f"{Decimal(amount_cents).scaleb(-2):.2f} {currency}"


def customer_reason(reason_code: str | None) -> str:
    return _CUSTOMER_REASONS.get(reason_code or "", GENERIC_REASON)


def compose_email(event: OrderConfirmedEvent | OrderFailedEvent) -> EmailMessage:
    if isinstance(event, OrderConfirmedEvent):
        return compose_confirmed(event.detail)
    return compose_failed(event.detail)


def compose_confirmed(detail: OrderConfirmedDetail) -> EmailMessage:
    lines = []
    for item in detail.items:
        line = f"  {item.quantity} x {item.name or item.sku}"
        if item.unitPriceCents is not None:
            line += f" @ {format_money(item.unitPriceCents, detail.currency)}"
        lines.append(line)
    body = "\n".join(
        [
            "Thank you for your order!",
            "",
            f"Your order {detail.orderId} is confirmed.",
            "",
            "Items:",
            *lines,
            "",
            f"Total: {format_money(detail.amountCents, detail.currency)}",
        ]
    )
    return EmailMessage(
        template=CONFIRMED_TEMPLATE,
        subject=f"Your order {detail.orderId} is confirmed",
        body=body,
    )


def compose_failed(detail: OrderFailedDetail) -> EmailMessage:
    body = "\n".join(
        [
            "We are sorry: there was a problem with your order.",
            "",
            f"Order {detail.orderId}: {customer_reason(detail.reason)}.",
            "",
            "You can place the order again at any time.",
        ]
    )
    return EmailMessage(
        template=FAILED_TEMPLATE,
        subject=f"We could not complete your order {detail.orderId}",
        body=body,
    )
