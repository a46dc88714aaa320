// Sign in: an API token, checked against the API before it is kept (sessionStorage).
import { api } from "../api.js";
import { add, h } from "../dom.js";
import { field, form, input } from "../forms.js";
import { setToken } from "../session.js";

function explain(error) {
  if (error.status === 401) {
    return new Error("That API token was not accepted (401 Unauthorized). Check that you copied all of it.");
  }
  if (error.status === 403) {
    return new Error(
      "That token may not manage webhooks and integrations (403 Forbidden): sign in with an account's API token, " +
        "not the operator token.",
    );
  }
  return error;
}

export function render(view, { onSignedIn }) {
  const token = input({ type: "password", required: true, autocomplete: "off", id: "signin-token" });
  add(
    view,
    h(
      "div",
      { class: "signin" },
      h("h1", { tabindex: -1 }, "Sign in"),
      h(
        "p",
        {},
        "Sign in with an API token of your account. The console keeps it in this tab only " +
          "and sends it to the API as a bearer token.",
      ),
      form({
        label: "Sign in",
        submit: "Sign in",
        children: [field({ label: "API token", control: token })],
        onsubmit: async () => {
          const value = token.value.trim();
          if (!value) throw new Error("Enter an API token.");
          try {
            await api("GET", "/api/v2/webhooks", { query: { "page[size]": 1 }, token: value });
          } catch (error) {
            throw explain(error);
          }
          setToken(value);
          onSignedIn();
        },
      }),
    ),
  );
  token.focus();
}
