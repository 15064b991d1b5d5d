/** Why an order failed, in plain words, from the reason the checkout records (its error name:
 * docs/checkout-state-machine.md). */
const REASONS: Record<string, string> = {
  PaymentDeclined: "Your card was declined. Nothing was charged.",
  InsufficientFunds: "Your card was declined for insufficient funds. Nothing was charged.",
  OutOfStock: "Part of your order is out of stock. Nothing was charged.",
  UnknownSku: "Part of your order is no longer sold. Nothing was charged.",
  PaymentProviderUnavailable:
    "The payment service could not be reached. Nothing was kept: any charge was refunded.",
  CheckoutInterrupted: "The checkout was interrupted. Any charge was refunded.",
  CheckoutTimedOut: "The checkout took too long and was stopped. Any charge was refunded.",
  CheckoutAborted: "The checkout was stopped. Any charge was refunded.",
  CheckoutNotStarted: "The checkout could not start. Nothing was charged.",
  CheckoutOverdue: "The checkout did not finish in time. Any charge was refunded.",
};

export function failureInWords(reason: string | null | undefined): string {
  if (!reason) return "The order could not be completed. Any charge was refunded.";
  return REASONS[reason] ?? `The order could not be completed (${reason}). Any charge was refunded.`;
}
