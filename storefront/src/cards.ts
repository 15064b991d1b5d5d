/** The payment test tokens the checkout offers, and what each does: the one place to change
 * when the payments provider's test tokens change (services/payments/README.md lists them). */
export interface TestCard {
  token: string;
  label: string;
  effect: string;
}

export const TEST_CARDS: readonly TestCard[] = [
  { token: "tok_visa", label: "Visa (test)", effect: "The payment succeeds." },
  { token: "tok_mastercard", label: "Mastercard (test)", effect: "The payment succeeds." },
  {
    token: "tok_chargeDeclined",
    label: "Declined card (test)",
    effect: "The bank declines the payment: the order fails and the stock is released.",
  },
  {
    token: "tok_chargeDeclinedInsufficientFunds",
    label: "Insufficient funds (test)",
    effect: "The bank declines for insufficient funds: the order fails and the stock is released.",
  },
  {
    token: "tok_outage_2",
    label: "Provider outage (test)",
    effect: "The payment provider is down for two attempts; the checkout retries, then it succeeds.",
  },
];
