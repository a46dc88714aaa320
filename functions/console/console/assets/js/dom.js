// DOM helpers. Every value from the API goes in as text (textContent, attributes), never
// as HTML, so nothing an API answer holds can run as script.

// h("a", {href: "#/x", class: "button", onclick: fn}, "text", child, [more])
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "value") {
      element.value = value;
    } else if (name === "checked" || name === "selected") {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

// Append children, skipping null / undefined / false (the DOM's own append would add
// them as the text "null"), flattening arrays, strings as text.
export function add(parent, ...children) {
  append(parent, children);
  return parent;
}

// Replace the children, as add() appends them.
export function fill(parent, ...children) {
  parent.replaceChildren();
  return add(parent, ...children);
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let ids = 0;
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// ------------------------------------------------------------------ formatting

export function time(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return h("time", { datetime: iso, title: iso }, date.toLocaleString());
}

const STATUS_KIND = {
  success: "good",
  active: "good",
  installed: "good",
  succeeded: "good",
  verified: "good",
  info: "info",
  debug: "info",
  failed: "bad",
  terminated: "bad",
  error: "bad",
  timeout: "bad",
  "client error": "bad",
  "server error": "bad",
  inactive: "muted",
  "not installed": "muted",
  warn: "warn",
  accepted: "warn",
  throttled: "warn",
  "circuit broken": "warn",
  retrying: "warn",
  running: "warn",
  waiting: "warn",
  pending: "warn",
};

export function badge(status) {
  const text = status ?? "—";
  return h("span", { class: `badge badge-${STATUS_KIND[text] || "muted"}` }, text);
}

// Pretty JSON where the text is JSON, else the text as it came.
export function pretty(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

// An HTTP status code, or `none` when there was no answer.
export function statusCode(value, none = "—") {
  return value === null || value === undefined ? none : String(value);
}

export function pre(value, label) {
  return h("pre", { class: "code", tabindex: 0, "aria-label": label }, pretty(value));
}

export function code(text) {
  return h("code", {}, text);
}

// ------------------------------------------------------------------ layout

export function heading(text, ...after) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: -1 }, text), ...after);
}

export function crumbs(...links) {
  return h(
    "nav",
    { class: "crumbs", "aria-label": "Breadcrumb" },
    h(
      "ol",
      {},
      links.map(([text, href]) =>
        h("li", {}, href ? h("a", { href }, text) : h("span", { "aria-current": "page" }, text)),
      ),
    ),
  );
}

export function section(title, ...children) {
  const id = uid("section");
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

// A table with a caption, a header row, and a row per item.
export function table({ caption, columns, rows, empty }) {
  if (!rows.length) return h("p", { class: "empty" }, empty || "Nothing here yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      // A caption starting with "!" names the table for screen readers only.
      caption
        ? h("caption", { class: caption.startsWith("!") ? "visually-hidden" : "" }, caption.replace(/^!/, ""))
        : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h(
        "tbody",
        {},
        rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.class }, c.cell(row))))),
      ),
    ),
  );
}

// Name / value pairs.
export function details(pairs) {
  return h(
    "dl",
    { class: "details" },
    pairs.filter(Boolean).map(([name, value]) => [h("dt", {}, name), h("dd", {}, value ?? "—")]),
  );
}

export function keyValues(caption, object) {
  const entries = Object.entries(object || {});
  if (!entries.length) return h("p", { class: "empty" }, `${caption}: none`);
  return table({
    caption,
    columns: [
      { label: "Name", cell: ([name]) => code(name) },
      { label: "Value", cell: ([, value]) => h("span", { class: "break" }, String(value)) },
    ],
    rows: entries,
  });
}

// ------------------------------------------------------------------ messages

export function errorBox(error, prefix) {
  const message = error && error.message ? error.message : String(error);
  return h("div", { class: "alert alert-error", role: "alert" }, prefix ? `${prefix} ${message}` : message);
}

export function okBox(...children) {
  return h("div", { class: "alert alert-ok", role: "status" }, ...children);
}

// Said under an action's error when the API answered 404: the route may not exist on this
// stack (an older version than the console), or the item is gone.
export function notFoundHint(error, action) {
  if (!error || error.status !== 404) return null;
  return h(
    "p",
    { class: "help" },
    `A 404 here means this stack's API does not offer ${action} (an older version), or the item is gone.`,
  );
}

// A message that survives the next navigation (after a delete, a sign-out).
let flashed = null;
export function flash(text) {
  flashed = text;
}

export function showFlash() {
  const region = document.getElementById("flash");
  region.replaceChildren();
  if (flashed) {
    region.append(h("p", {}, flashed));
    flashed = null;
  }
}

// The slot where an action's outcome is shown: replace() puts one message in it.
export function outcome() {
  const slot = h("div", { class: "outcome", "aria-live": "polite" });
  slot.show = (...children) => fill(slot, ...children);
  slot.clear = () => slot.replaceChildren();
  return slot;
}

// ------------------------------------------------------------------ actions

// Runs `action` with the button disabled; shows the error in `slot` (or rethrows).
export async function busy(button, action, slot) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } catch (error) {
    if (error.name === "AbortError") return undefined;
    if (!slot) throw error;
    slot.show(errorBox(error));
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function button(text, onclick, props = {}) {
  return h("button", { type: "button", class: props.class || "button", onclick, ...props }, text);
}

// A modal confirmation (native <dialog>: focus is trapped, Escape cancels).
export function confirmAction({ title, message, confirm }) {
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId });
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.append(
      h("h2", { id: titleId }, title),
      h("p", {}, message),
      h(
        "div",
        { class: "actions" },
        button("Cancel", () => close(false), { class: "button button-secondary" }),
        button(confirm, () => close(true), { class: "button button-danger" }),
      ),
    );
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector(".button-secondary").focus();
  });
}

// A "Copy" button for a value shown beside it.
export function copyButton(value, what) {
  const status = h("span", { class: "copy-status", "aria-live": "polite" });
  const copy = button(
    "Copy",
    async () => {
      try {
        await navigator.clipboard.writeText(value);
        status.textContent = "Copied";
      } catch {
        status.textContent = "Copy failed: select the text and copy it";
      }
    },
    { class: "button button-small", "aria-label": `Copy ${what}` },
  );
  return h("span", { class: "copy" }, copy, status);
}

// A secret or value to copy: shown in full, with its copy button.
export function copyable(label, value) {
  return [
    label,
    h("span", { class: "copyable" }, h("code", { class: "break" }, value), copyButton(value, label.toLowerCase())),
  ];
}
