import { itemCount } from "./cart";
import { h } from "./dom";
import { cartPage } from "./pages/cart";
import { catalogPage } from "./pages/catalog";
import { checkoutPage } from "./pages/checkout";
import { orderPage } from "./pages/order";
import { ordersPage } from "./pages/orders";
import { signInPage } from "./pages/signin";
import { signUpPage } from "./pages/signup";
import { navigate, route, startRouter } from "./router";
import { currentSession, signOut } from "./session";

route("/", catalogPage);
route("/cart", cartPage);
route("/sign-in", signInPage);
route("/sign-up", signUpPage);
route("/checkout", checkoutPage);
route("/orders", ordersPage);
route("/orders/:orderId", orderPage);

function showCartCount(): void {
  const count = itemCount();
  (document.getElementById("cart-count") as HTMLElement).textContent = count ? `(${count})` : "";
}

function showSession(): void {
  const slot = document.getElementById("session") as HTMLElement;
  const session = currentSession();
  slot.replaceChildren(
    session
      ? h(
          "span",
          {},
          h("span", { class: "who" }, session.email),
          " ",
          h("button", { type: "button", class: "link", onclick: () => (signOut(), navigate("/")) }, "Sign out"),
        )
      : h("a", { href: "/sign-in", "data-link": true }, "Sign in"),
  );
}

window.addEventListener("cartchange", showCartCount);
window.addEventListener("storage", showCartCount);
window.addEventListener("sessionchange", showSession);
showCartCount();
showSession();
startRouter();
