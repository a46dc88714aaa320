// A flow execution: its status, error, and every state it passed (inputs and outputs as
// the API keeps them, truncated).
import { api, enc } from "../api.js";
import { add, badge, code, crumbs, details, h, heading, pre, section, table, time } from "../dom.js";

export async function render(view, { params, signal }) {
  const { execution } = await api(
    "GET",
    `/api/services/zis/integrations/${enc(params.name)}/executions/${enc(params.id)}`,
    { signal },
  );
  add(
    view,
    crumbs(["Integrations", "#/integrations"], [params.name, `#/integrations/${enc(params.name)}`], ["Execution"]),
    heading(`Execution ${execution.id}`, badge(execution.status)),
    section(
      "Summary",
      details([
        ["Status", badge(execution.status)],
        ["Job spec", code(execution.job_spec)],
        ["Flow", code(execution.flow_name)],
        ["Event id", code(execution.event_id)],
        ["Attempt", String(execution.attempt)],
        ["Started", time(execution.started_at)],
        ["Ended", time(execution.ended_at)],
        execution.error ? ["Error", execution.error] : null,
        execution.cause ? ["Cause", execution.cause] : null,
      ]),
    ),
    section(
      "Steps",
      table({
        caption: "!Steps",
        columns: [
          { label: "State", cell: (s) => s.name },
          { label: "Type", cell: (s) => s.type },
          { label: "Started", cell: (s) => time(s.started_at) },
          { label: "Ended", cell: (s) => time(s.ended_at) },
          { label: "Error", cell: (s) => s.error || "—" },
          {
            label: "Input and output",
            cell: (s) =>
              h(
                "details",
                {},
                h("summary", {}, "Show"),
                h("h4", {}, "Input"),
                pre(s.input, `Input of ${s.name}`),
                h("h4", {}, "Output"),
                pre(s.output, `Output of ${s.name}`),
              ),
          },
        ],
        rows: execution.steps,
        empty: "No state has run yet.",
      }),
    ),
  );
}
