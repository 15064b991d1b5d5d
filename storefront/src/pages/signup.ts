import { AccountError, confirmSignUp, signIn, signUp } from "../cognito";
import { h } from "../dom";
import { navigate } from "../router";
import type { Page } from "../router";
import { startSession } from "../session";
import { safeNext } from "./signin";

function field(id: string, label: string, attributes: Record<string, string | boolean>, hint?: string) {
  const input = h("input", { id, name: id, required: true, ...attributes, "aria-describedby": hint ? `${id}-hint` : undefined });
  return {
    input,
    element: h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      input,
      hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null,
    ),
  };
}

/** Create an account, confirm it with the code Cognito emails, and sign in. */
export const signUpPage: Page = {
  title: "Create an account",
  render({ main, query }) {
    const error = h("p", { role: "alert", class: "error" });
    const email = field("email", "Email", { type: "email", autocomplete: "username" });
    const password = field(
      "new-password",
      "Password",
      { type: "password", autocomplete: "new-password", minlength: "12" },
      "At least 12 characters, with upper and lower case letters and a digit.",
    );
    const create = h("button", { type: "submit" }, "Create account");
    const form = h("form", {}, email.element, password.element, create, error);

    const confirm = (address: string, secret: string) => {
      const code = field(
        "code",
        "Confirmation code",
        { type: "text", inputmode: "numeric", autocomplete: "one-time-code" },
        `We emailed a code to ${address}.`,
      );
      const submit = h("button", { type: "submit" }, "Confirm and sign in");
      const codeForm = h("form", {}, code.element, submit, error);
      codeForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        error.textContent = "";
        submit.disabled = true;
        try {
          await confirmSignUp(address, code.input.value.trim());
          startSession({ ...(await signIn(address, secret)), email: address });
          navigate(safeNext(query.get("next")), true);
        } catch (failure) {
          error.textContent = failure instanceof AccountError ? failure.message : String(failure);
          submit.disabled = false;
        }
      });
      main.replaceChildren(h("h1", {}, "Confirm your email"), codeForm);
      code.input.focus();
    };

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      create.disabled = true;
      const address = email.input.value.trim();
      try {
        await signUp(address, password.input.value);
        confirm(address, password.input.value);
      } catch (failure) {
        error.textContent = failure instanceof AccountError ? failure.message : String(failure);
        create.disabled = false;
      }
    });
    main.replaceChildren(h("h1", {}, "Create an account"), form);
  },
};
