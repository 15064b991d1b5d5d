import { listProducts } from "../api";
import { addToCart, readCart } from "../cart";
import { h } from "../dom";
import { money } from "../money";
import type { Page } from "../router";

export const catalogPage: Page = {
  title: "Catalog",
  async render({ main }) {
    const products = await listProducts();
    const announcement = h("p", { role: "status", class: "notice" });
    const cards = products.map((product) => {
      const inCart = () => readCart()[product.sku] ?? 0;
      const button = h(
        "button",
        { type: "button" },
        "Add to cart",
        h("span", { class: "visually-hidden" }, `: ${product.name}`),
      );
      const refresh = () => {
        button.disabled = inCart() >= product.available;
      };
      button.addEventListener("click", () => {
        addToCart(product.sku);
        refresh();
        announcement.textContent = `Added ${product.name} to your cart (${inCart()} in the cart).`;
      });
      refresh();
      return h(
        "li",
        { class: "product" },
        h("h2", {}, product.name),
        h("p", { class: "price" }, money(product.priceCents, product.currency)),
        h(
          "p",
          { class: product.available > 0 ? "stock" : "stock out" },
          product.available > 0 ? `${product.available} in stock` : "Out of stock",
        ),
        button,
      );
    });
    main.replaceChildren(
      h("h1", {}, "Catalog"),
      announcement,
      products.length ? h("ul", { class: "products" }, cards) : h("p", {}, "Nothing for sale yet."),
    );
  },
};
