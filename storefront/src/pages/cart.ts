import { listProducts } from "../api";
import { MAX_QUANTITY, readCart, setQuantity } from "../cart";
import { h } from "../dom";
import { money } from "../money";
import type { Page } from "../router";

export const cartPage: Page = {
  title: "Cart",
  async render({ main }) {
    const products = new Map((await listProducts()).map((p) => [p.sku, p]));
    const draw = () => {
      const lines = Object.entries(readCart()).filter(([sku]) => products.has(sku));
      if (!lines.length) {
        main.replaceChildren(
          h("h1", {}, "Cart"),
          h("p", {}, "Your cart is empty. ", h("a", { href: "/", "data-link": true }, "Browse the catalog")),
        );
        return;
      }
      let total = 0;
      let currency = "USD";
      const rows = lines.map(([sku, quantity]) => {
        const product = products.get(sku)!;
        total += product.priceCents * quantity;
        currency = product.currency;
        const id = `quantity-${sku}`;
        const input = h("input", {
          id,
          type: "number",
          min: 0,
          max: Math.min(MAX_QUANTITY, Math.max(product.available, quantity)),
          value: quantity,
          inputmode: "numeric",
        });
        input.addEventListener("change", () => {
          setQuantity(sku, Math.max(0, Math.floor(Number(input.value) || 0)));
          draw();
        });
        return h(
          "tr",
          {},
          h("th", { scope: "row" }, product.name),
          h("td", {}, money(product.priceCents, product.currency)),
          h("td", {}, h("label", { for: id, class: "visually-hidden" }, `Quantity of ${product.name}`), input),
          h("td", {}, money(product.priceCents * quantity, product.currency)),
          h(
            "td",
            {},
            h(
              "button",
              { type: "button", class: "secondary", onclick: () => (setQuantity(sku, 0), draw()) },
              "Remove",
              h("span", { class: "visually-hidden" }, ` ${product.name}`),
            ),
          ),
        );
      });
      main.replaceChildren(
        h("h1", {}, "Cart"),
        h(
          "table",
          {},
          h("caption", { class: "visually-hidden" }, "Items in your cart"),
          h(
            "thead",
            {},
            h("tr", {}, ["Item", "Price", "Quantity", "Subtotal", "Actions"].map((name) => h("th", { scope: "col" }, name))),
          ),
          h("tbody", {}, rows),
        ),
        h("p", { class: "total" }, `Total: ${money(total, currency)}`),
        h("p", {}, h("a", { class: "button", href: "/checkout", "data-link": true }, "Check out")),
      );
    };
    draw();
  },
};
