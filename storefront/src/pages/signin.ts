import { AccountError, signIn } from "../cognito";
import { h } from "../dom";
import { navigate } from "../router";
import type { Page } from "../router";
import { startSession } from "../session";

/** Only same-site paths after signing in: never a redirect to another origin. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export const signInPage: Page = {
  title: "Sign in",
  render({ main, query }) {
    const error = h("p", { role: "alert", class: "error", id: "sign-in-error" });
    const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true });
    const password = h("input", {
      id: "password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    });
    const submit = h("button", { type: "submit" }, "Sign in");
    const form = h(
      "form",
      { "aria-describedby": "sign-in-error" },
      h("div", { class: "field" }, h("label", { for: "email" }, "Email"), email),
      h("div", { class: "field" }, h("label", { for: "password" }, "Password"), password),
      submit,
      error,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      submit.disabled = true;
      try {
        const tokens = await signIn(email.value.trim(), password.value);
        startSession({ ...tokens, email: email.value.trim() });
        navigate(safeNext(query.get("next")), true);
      } catch (failure) {
        error.textContent = failure instanceof AccountError ? failure.message : String(failure);
        submit.disabled = false;
        password.focus();
      }
    });
    const next = query.get("next");
    const signUpPath = next ? `/sign-up?next=${encodeURIComponent(next)}` : "/sign-up";
    main.replaceChildren(
      h("h1", {}, "Sign in"),
      h("p", {}, "Sign in to check out and to see your orders."),
      form,
      h("p", {}, "New here? ", h("a", { href: signUpPath, "data-link": true }, "Create an account")),
    );
  },
};
