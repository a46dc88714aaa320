// The console's entry point: the signed-in shell (navigation, sign out) and the router.
import { whenUnauthorized } from "./api.js";
import { add, errorBox, fill, flash, h, showFlash } from "./dom.js";
import { current, navigate, resolve, route, start } from "./router.js";
import { clearToken, getToken } from "./session.js";
import * as execution from "./pages/execution.js";
import * as inbound from "./pages/inbound.js";
import * as integration from "./pages/integration.js";
import * as integrations from "./pages/integrations.js";
import * as invocation from "./pages/invocation.js";
import * as logs from "./pages/logs.js";
import * as signin from "./pages/signin.js";
import * as webhook from "./pages/webhook.js";
import * as webhookForm from "./pages/webhook-form.js";
import * as webhooks from "./pages/webhooks.js";

const SECTIONS = [
  ["/webhooks", "Webhooks"],
  ["/inbound-webhooks", "Inbound webhooks"],
  ["/integrations", "Integrations"],
  ["/logs", "Logs"],
];

route("/webhooks", webhooks.render);
route("/webhooks/new", webhookForm.renderCreate);
route("/webhooks/:id", webhook.render);
route("/webhooks/:id/edit", webhookForm.renderEdit);
route("/webhooks/:id/invocations/:invocation", invocation.render);
route("/inbound-webhooks", inbound.render);
route("/integrations", integrations.render);
route("/integrations/:name", integration.render);
route("/integrations/:name/executions/:id", execution.render);
route("/logs", logs.render);

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const account = document.getElementById("account");
let controller = null;
let lastPath = null;

function signOut(message) {
  clearToken();
  flash(message);
  lastPath = null;
  if (location.hash && location.hash !== "#/") navigate("/");
  else render(true);
}

whenUnauthorized(() => signOut("The API no longer accepts your token (revoked or expired): sign in again."));

function shell(path) {
  const signedIn = Boolean(getToken());
  nav.hidden = !signedIn;
  account.hidden = !signedIn;
  if (!signedIn) {
    nav.replaceChildren();
    account.replaceChildren();
    return;
  }
  fill(
    nav,
    h(
      "ul",
      {},
      SECTIONS.map(([section, text]) => {
        const here = path === section || path.startsWith(`${section}/`);
        return h("li", {}, h("a", { href: `#${section}`, "aria-current": here ? "page" : null }, text));
      }),
    ),
  );
  if (!account.childElementCount) {
    account.append(
      h(
        "button",
        { type: "button", class: "button button-secondary", onclick: () => signOut("Signed out.") },
        "Sign out",
      ),
    );
  }
}

async function render(navigated) {
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  const { path, query } = current();
  const view = h("div", { class: "page" });
  if (!getToken()) {
    shell(path);
    showFlash();
    fill(main, view);
    signin.render(view, { onSignedIn: () => render(true) });
    document.title = "Sign in · Hookyard console";
    return;
  }
  const found = resolve(path);
  if (!found) {
    location.replace("#/webhooks");
    return;
  }
  shell(path);
  showFlash();
  fill(main, view);
  try {
    await found.page(view, { params: found.params, query, signal });
  } catch (error) {
    if (error.name === "AbortError" || signal.aborted) return;
    add(view, errorBox(error));
  }
  if (signal.aborted) return;
  const title = view.querySelector("h1");
  document.title = `${title ? title.textContent : "Hookyard"} · Hookyard console`;
  // Move focus to the new view's heading when the view changed (not for a filter or a
  // page of the same view), so keyboard and screen reader users start at its top.
  if (navigated && path !== lastPath && title) title.focus();
  lastPath = path;
}

document.querySelector("[data-skip]").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

start(render);
