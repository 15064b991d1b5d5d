import { ApiError, listProducts, placeOrder } from "../api";
import { TEST_CARDS } from "../cards";
import { emptyCart, readCart } from "../cart";
import { h } from "../dom";
import { money } from "../money";
import { navigate } from "../router";
import type { Page } from "../router";

export const checkoutPage: Page = {
  title: "Checkout",
  signedIn: true,
  async render({ main }) {
    const products = new Map((await listProducts()).map((p) => [p.sku, p]));
    const items = Object.entries(readCart())
      .filter(([sku]) => products.has(sku))
      .map(([sku, quantity]) => ({ sku, quantity }));
    if (!items.length) {
      main.replaceChildren(
        h("h1", {}, "Checkout"),
        h("p", {}, "Your cart is empty. ", h("a", { href: "/", "data-link": true }, "Browse the catalog")),
      );
      return;
    }
    const currency = products.get(items[0].sku)!.currency;
    const total = items.reduce((sum, { sku, quantity }) => sum + products.get(sku)!.priceCents * quantity, 0);
    const cards = TEST_CARDS.map((card, index) => {
      const id = `card-${card.token}`;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "radio", name: "card", id, value: card.token, checked: index === 0, "aria-describedby": `${id}-effect` }),
        h("label", { for: id }, card.label),
        h("p", { id: `${id}-effect`, class: "hint" }, card.effect),
      );
    });
    const error = h("p", { role: "alert", class: "error" });
    const submit = h("button", { type: "submit" }, `Place order (${money(total, currency)})`);
    const form = h(
      "form",
      {},
      h("fieldset", {}, h("legend", {}, "Payment: test cards (no real money moves)"), cards),
      submit,
      error,
    );
    // One key per distinct order attempt: pressing again after a lost answer places the same
    // order once; a changed card or cart is a new order.
    let attempt: { body: string; key: string } | undefined;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const token = new FormData(form).get("card") as string;
      const body = JSON.stringify({ items, token });
      if (attempt?.body !== body) attempt = { body, key: crypto.randomUUID() };
      error.textContent = "";
      submit.disabled = true;
      try {
        const order = await placeOrder(items, token, attempt.key);
        emptyCart();
        navigate(`/orders/${encodeURIComponent(order.orderId)}`);
      } catch (failure) {
        submit.disabled = false;
        if (!(failure instanceof ApiError)) throw failure;
        error.textContent =
          failure.status === 409
            ? "This order is still being placed: try again in a moment."
            : `The order was not placed: ${failure.message || `HTTP ${failure.status}`}`;
      }
    });
    main.replaceChildren(
      h("h1", {}, "Checkout"),
      h(
        "ul",
        { class: "summary" },
        items.map(({ sku, quantity }) => {
          const product = products.get(sku)!;
          return h("li", {}, `${quantity} × ${product.name}: ${money(product.priceCents * quantity, currency)}`);
        }),
      ),
      h("p", { class: "total" }, `Total: ${money(total, currency)}`),
      form,
    );
  },
};
