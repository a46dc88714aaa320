// Webhooks: the account's outbound webhooks, filtered by name and status, in cursor pages.
import { api } from "../api.js";
import { add, badge, code, h, heading, table, time } from "../dom.js";
import { field, form, input, select } from "../forms.js";
import { navigate } from "../router.js";
import { cursorPager } from "./paging.js";

export const PAGE_SIZE = 25;
export const TRIGGERS = "conditional_ticket_events";

export function subscriptionsText(subscriptions) {
  if (subscriptions.includes(TRIGGERS)) return "Triggers";
  return subscriptions.join(", ");
}

export async function render(view, { query, signal }) {
  add(view, heading("Webhooks", h("a", { href: "#/webhooks/new", class: "button" }, "Create webhook")));
  const name = input({ type: "search", value: query.name || "", id: "webhooks-name" });
  const status = select(
    [
      ["", "Any"],
      ["active", "Active"],
      ["inactive", "Inactive"],
    ],
    query.status || "",
    { id: "webhooks-status" },
  );
  add(
    view,
    form({
      label: "Filter webhooks",
      class: "form form-inline",
      submit: "Filter",
      children: [field({ label: "Name contains", control: name }), field({ label: "Status", control: status })],
      onsubmit: () => navigate("/webhooks", { name: name.value.trim(), status: status.value, size: query.size }),
    }),
  );
  const data = await api("GET", "/api/v2/webhooks", {
    query: {
      "filter[name_contains]": query.name,
      "filter[status]": query.status,
      "page[size]": query.size || PAGE_SIZE,
      "page[after]": query.after,
      "page[before]": query.before,
    },
    signal,
  });
  add(
    view,
    table({
      caption: "!Webhooks",
      columns: [
        { label: "Name", cell: (w) => h("a", { href: `#/webhooks/${encodeURIComponent(w.id)}` }, w.name) },
        { label: "Status", cell: (w) => badge(w.status) },
        { label: "Subscriptions", cell: (w) => subscriptionsText(w.subscriptions) },
        { label: "Endpoint", cell: (w) => code(w.endpoint), class: "break" },
        { label: "Updated", cell: (w) => time(w.updated_at) },
      ],
      rows: data.webhooks,
      empty: query.name || query.status ? "No webhook matches this filter." : "No webhooks yet: create one.",
    }),
    cursorPager("/webhooks", query, data.meta),
  );
}
