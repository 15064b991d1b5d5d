import { ApiError, getCheckoutSteps, getOrder } from "../api";
import type { CheckoutStep, Order } from "../api";
import { h } from "../dom";
import { money } from "../money";
import { failureInWords } from "../reasons";
import { stepInWords } from "../steps";
import type { Page } from "../router";

const POLL_INTERVAL_MS = 1000;

function statusInWords(order: Order): string {
  switch (order.status) {
    case "PENDING":
      return "Processing: reserving stock and taking payment…";
    case "CONFIRMED":
      return "Confirmed: your payment was taken and your items are on their way.";
    case "FAILED":
      return `Failed. ${failureInWords(order.reason)}`;
  }
}

function stepLine(step: CheckoutStep): string {
  const tries = step.attempts > 1 ? ` (after ${step.attempts} tries)` : "";
  switch (step.outcome) {
    case "succeeded":
      return `✓ ${stepInWords(step.step)}${tries}`;
    case "failed":
      return `✗ ${stepInWords(step.step)}: did not go through${tries}`;
    case "running":
      return `… ${stepInWords(step.step)}`;
  }
}

/** The steps the checkout went through, read once it ended (the list is not polled). */
async function showSteps(list: HTMLElement, orderId: string): Promise<void> {
  try {
    const { steps } = await getCheckoutSteps(orderId);
    list.replaceChildren(...steps.map((step) => h("li", { "data-step": step.step }, stepLine(step))));
  } catch (failure) {
    if (!(failure instanceof ApiError)) throw failure;
    list.replaceChildren(h("li", {}, "The steps cannot be shown right now."));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export const orderPage: Page = {
  title: "Order",
  signedIn: true,
  async render({ main, params, signal }) {
    const status = h("p", { role: "status", class: "order-status", "aria-live": "polite" });
    const updated = h("p", { class: "hint" });
    const steps = h("ol", { class: "steps", "aria-label": "Checkout steps" });
    let order = await getOrder(params.orderId);
    main.replaceChildren(
      h("h1", {}, `Order ${order.orderId}`),
      status,
      h(
        "ul",
        { class: "summary" },
        order.items.map((line) =>
          h("li", {}, `${line.quantity} × ${line.name}: ${money(line.unitPriceCents * line.quantity, order.currency)}`),
        ),
      ),
      h("p", { class: "total" }, `Total: ${money(order.amountCents, order.currency)}`),
      h("p", { class: "hint" }, `Placed ${new Date(order.createdAt).toLocaleString()}`),
      updated,
      h("h2", {}, "What happened"),
      steps,
      h("p", {}, h("a", { href: "/orders", "data-link": true }, "All my orders")),
    );
    // The checkout runs after the order is accepted: follow it until it is CONFIRMED or FAILED.
    for (;;) {
      status.textContent = statusInWords(order);
      status.dataset.status = order.status;
      updated.textContent = `Last update ${new Date(order.updatedAt).toLocaleString()}`;
      if (order.status !== "PENDING") return showSteps(steps, order.orderId);
      await sleep(POLL_INTERVAL_MS, signal);
      if (signal.aborted) return;
      try {
        order = await getOrder(params.orderId);
      } catch (failure) {
        // A lost connection or a throttled read: the order goes on, so keep asking.
        if (!(failure instanceof ApiError)) throw failure;
        const transient = failure.status === 0 || failure.status === 429 || failure.status >= 500;
        if (!transient) throw failure;
      }
    }
  },
};
