/** The checkout's steps (the state machine's task states: docs/checkout-state-machine.md) in
 * plain words, for the order page. A step this list does not know is shown by its name. */
const STEPS: Record<string, string> = {
  PublishOrderPlaced: "Order received",
  ReserveStock: "Stock reserved",
  ChargePayment: "Payment authorized",
  CommitStock: "Stock set aside for you",
  CapturePayment: "Payment taken",
  ConfirmOrder: "Order confirmed",
  PublishOrderConfirmed: "Confirmation sent",
  RefundPayment: "Any payment given back",
  ReleaseStock: "Stock released",
  MarkOrderFailed: "Order marked as failed",
  PublishOrderFailed: "Failure notice sent",
};

export function stepInWords(step: string): string {
  return STEPS[step] ?? step;
}
