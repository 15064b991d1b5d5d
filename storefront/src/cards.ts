/** The payment test tokens the checkout offers, and what each does: the one place to change
 * when the payments provider's test tokens change (services/payments/README.md lists them). */
export interface TestCard {
  token: string;
  label: string;
  effect: string;
}

export const TEST_CARDS: readonly TestCard[] = [
  { token: "pm_card_visa", label: "Visa (test)", effect: "The payment is authorized, then captured." },
  {
    token: "pm_card_chargeCustomerFail",
    label: "Declined card (test)",
    effect: "The bank declines the payment: the order fails and the stock is released.",
  },
];
