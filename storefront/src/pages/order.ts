import { ApiError, getOrder } from "../api";
import type { Order } from "../api";
import { h } from "../dom";
import { money } from "../money";
import { failureInWords } from "../reasons";
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
      h("p", {}, h("a", { href: "/orders", "data-link": true }, "All my orders")),
    );
    // The checkout runs after the order is accepted: follow it until it is CONFIRMED or FAILED.
    for (;;) {
      status.textContent = statusInWords(order);
      status.dataset.status = order.status;
      updated.textContent = `Last update ${new Date(order.updatedAt).toLocaleString()}`;
      if (order.status !== "PENDING") return;
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
