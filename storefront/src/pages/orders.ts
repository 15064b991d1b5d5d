import { listOrders } from "../api";
import { h } from "../dom";
import { money } from "../money";
import type { Page } from "../router";

const STATUS_WORDS = { PENDING: "Processing", CONFIRMED: "Confirmed", FAILED: "Failed" } as const;

export const ordersPage: Page = {
  title: "My orders",
  signedIn: true,
  async render({ main }) {
    const body = h("tbody", {});
    const more = h("button", { type: "button", class: "secondary" }, "Show older orders");
    let nextToken: string | undefined;
    const load = async () => {
      const page = await listOrders(nextToken);
      for (const order of page.orders) {
        body.append(
          h(
            "tr",
            {},
            h("th", { scope: "row" }, h("a", { href: `/orders/${encodeURIComponent(order.orderId)}`, "data-link": true }, order.orderId)),
            h("td", {}, new Date(order.createdAt).toLocaleString()),
            h("td", {}, order.items.map((line) => `${line.quantity} × ${line.name}`).join(", ")),
            h("td", {}, money(order.amountCents, order.currency)),
            h("td", { "data-status": order.status }, STATUS_WORDS[order.status]),
          ),
        );
      }
      nextToken = page.nextToken ?? undefined;
      more.hidden = !nextToken;
    };
    more.addEventListener("click", () => void load());
    await load();
    main.replaceChildren(
      h("h1", {}, "My orders"),
      body.children.length
        ? h(
            "table",
            {},
            h("caption", { class: "visually-hidden" }, "Your orders, newest first"),
            h("thead", {}, h("tr", {}, ["Order", "Placed", "Items", "Total", "Status"].map((name) => h("th", { scope: "col" }, name)))),
            body,
          )
        : h("p", {}, "No orders yet. ", h("a", { href: "/", "data-link": true }, "Browse the catalog")),
      more,
    );
  },
};
