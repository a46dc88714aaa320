// Logs: an integration's log entries, newest first, by level, time and flow.
import { api, enc } from "../api.js";
import { add, badge, code, h, heading, table, time } from "../dom.js";
import { field, form, input, isoFromLocal, select } from "../forms.js";
import { navigate } from "../router.js";
import { integrationField, integrationNames } from "./integration-picker.js";
import { forwardPager } from "./paging.js";

const LEVELS = [
  ["", "Any"],
  ["debug", "Debug and above"],
  ["info", "Info and above"],
  ["warn", "Warn and above"],
  ["error", "Error"],
];

export async function render(view, { query, signal }) {
  add(view, heading("Logs"));
  const names = await integrationNames(signal);
  const chosen = query.integration || names[0] || "";
  const picker = integrationField(names, chosen);
  const level = select(LEVELS, query.level || "", { id: "logs-level" });
  const from = input({ type: "datetime-local", value: query.from || "", id: "logs-from" });
  const to = input({ type: "datetime-local", value: query.to || "", id: "logs-to" });
  const flow = input({ value: query.flow || "", id: "logs-flow", placeholder: "zis:my_integration:flow:my_flow" });
  add(
    view,
    form({
      label: "Filter logs",
      class: "form form-inline",
      submit: "Show logs",
      children: [
        picker.element,
        field({ label: "Level", field: "filter[level]", control: level }),
        field({ label: "From", field: "filter[from]", control: from }),
        field({ label: "To", field: "filter[to]", control: to }),
        field({ label: "Flow", field: "filter[flow]", control: flow }),
      ],
      onsubmit: () =>
        navigate("/logs", {
          integration: picker.control.value.trim(),
          level: level.value,
          from: from.value,
          to: to.value,
          flow: flow.value.trim(),
        }),
    }),
  );
  if (!chosen) {
    add(view, h("p", { class: "empty" }, "Name an integration to read its logs."));
    return;
  }
  const data = await api("GET", `/api/services/zis/integrations/${enc(chosen)}/logs`, {
    query: {
      "filter[level]": query.level,
      "filter[from]": isoFromLocal(query.from),
      "filter[to]": isoFromLocal(query.to),
      "filter[flow]": query.flow,
      "page[size]": 50,
      "page[after]": query.after,
    },
    signal,
  });
  add(
    view,
    table({
      caption: `!Logs of ${chosen}`,
      columns: [
        { label: "Time", cell: (e) => time(e.time) },
        { label: "Level", cell: (e) => badge(e.level) },
        { label: "Message", cell: (e) => e.message, class: "break" },
        { label: "Flow", cell: (e) => (e.flow_name ? code(e.flow_name) : "—"), class: "break" },
        {
          label: "Execution",
          cell: (e) => {
            if (!e.execution_id) return "—";
            const link = `#/integrations/${enc(chosen)}/executions/${enc(e.execution_id)}`;
            return h("a", { href: link }, code(e.execution_id));
          },
        },
      ],
      rows: data.logs,
      empty: "No log entries match (entries are kept for 7 days).",
    }),
    forwardPager("/logs", { ...query, integration: chosen }, data.meta),
  );
}
