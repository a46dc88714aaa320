// Forms: labelled fields, and the API's validation problems shown next to the field they
// name (or above the form when they name none). Inputs carry no `name`, and the policy
// forbids native form posts: only the script sends a form, so a value (a token, a
// password) can never end up in a URL.
import { h, uid } from "./dom.js";

// A labelled field. `field` is the API's name for it ("endpoint",
// "authentication.data.password"), which is how an API problem finds it.
export function field({ label, field, control, help, id }) {
  const controlId = id || control.id || uid("field");
  control.id = controlId;
  const helpId = help ? `${controlId}-help` : null;
  const errorId = `${controlId}-error`;
  control.setAttribute("aria-describedby", [helpId, errorId].filter(Boolean).join(" "));
  return h(
    "div",
    { class: "field", "data-field": field || "" },
    h("label", { for: controlId }, label),
    control,
    help ? h("p", { class: "help", id: helpId }, help) : null,
    h("p", { class: "field-error", id: errorId, hidden: true }),
  );
}

export function input(props = {}) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...props });
}

export function textarea(props = {}) {
  return h("textarea", { rows: 4, spellcheck: "false", ...props });
}

export function select(options, value, props = {}) {
  return h(
    "select",
    props,
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
  );
}

// A form whose submit runs `onsubmit(form)` (with its button disabled); its problems
// go next to its fields.
export function form({ label, submit, onsubmit, children, class: className }) {
  const summary = h("div", { class: "form-errors", role: "alert", hidden: true });
  const submitButton = h("button", { type: "submit", class: "button" }, submit);
  const element = h(
    "form",
    { class: className || "form", "aria-label": label, novalidate: true },
    summary,
    ...children,
    h("div", { class: "actions" }, submitButton),
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(element);
    submitButton.disabled = true;
    submitButton.setAttribute("aria-busy", "true");
    try {
      await onsubmit(element);
    } catch (error) {
      if (error.name !== "AbortError") showProblems(element, error);
    } finally {
      submitButton.disabled = false;
      submitButton.removeAttribute("aria-busy");
    }
  });
  return element;
}

export function clearProblems(formElement) {
  const summary = formElement.querySelector(".form-errors");
  summary.hidden = true;
  summary.replaceChildren();
  for (const error of formElement.querySelectorAll(".field-error")) {
    error.hidden = true;
    error.textContent = "";
  }
  for (const control of formElement.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

// The field a problem's path names: the longest field name that is the path or a parent
// of it ("authentication.data.password" -> "authentication.data" -> "authentication";
// "subscriptions[2]" -> "subscriptions"), with or without the body's top-level key
// ("webhook.endpoint" -> "endpoint").
function fieldFor(formElement, path) {
  const fields = new Map(
    [...formElement.querySelectorAll(".field[data-field]")]
      .filter((f) => f.dataset.field && !f.closest("[hidden]"))
      .map((f) => [f.dataset.field, f]),
  );
  const candidates = [path, path.replace(/^[a-z_]+\./, "")];
  for (const candidate of candidates) {
    let name = candidate;
    while (name) {
      if (fields.has(name)) return fields.get(name);
      const cut = Math.max(name.lastIndexOf("."), name.lastIndexOf("["));
      name = cut > 0 ? name.slice(0, cut) : "";
    }
  }
  return null;
}

// Show an error on the form: each API problem next to its field, the rest in the summary.
// A plain Error (a local check) goes to the summary.
export function showProblems(formElement, error, heading) {
  const problems = error.problems || [{ field: null, message: error.message || String(error) }];
  const unplaced = [];
  let first = null;
  for (const problem of problems) {
    const wrapper = problem.field ? fieldFor(formElement, problem.field) : null;
    if (!wrapper) {
      unplaced.push(problem.field ? `${problem.field}: ${problem.message}` : problem.message);
      continue;
    }
    const message = wrapper.querySelector(".field-error");
    message.textContent = message.textContent ? `${message.textContent}; ${problem.message}` : problem.message;
    message.hidden = false;
    const control = wrapper.querySelector("input, select, textarea");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first = first || control;
    }
  }
  if (unplaced.length || !first) {
    const summary = formElement.querySelector(".form-errors");
    const messages = unplaced.length ? unplaced : [error.message];
    if (!error.status && !heading && messages.length === 1) {
      // A check of the console's own (not the API's): its message says it all.
      summary.replaceChildren(h("p", {}, messages[0]));
    } else {
      const status = error.status ? `${error.status} ${error.phrase}` : null;
      summary.replaceChildren(
        h("p", {}, heading || (status ? `The API refused this (${status}):` : "This could not be done:")),
        h("ul", {}, messages.map((text) => h("li", {}, text))),
      );
    }
    summary.hidden = false;
  }
  if (first) first.focus();
}

// A problem the console finds itself, shown next to `fieldName` as the API's are.
export function fieldProblem(fieldName, message) {
  return Object.assign(new Error(`${fieldName}: ${message}`), { problems: [{ field: fieldName, message }] });
}

// "2026-11-23T09:30" from a datetime-local input -> an ISO 8601 instant (the user's zone).
export function isoFromLocal(value) {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
