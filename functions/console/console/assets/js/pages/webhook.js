// A webhook: its definition, the actions on it (activate / deactivate, test, signing
// secret, delete, recover), and its invocations.
import { api, enc } from "../api.js";
import {
  add,
  badge,
  busy,
  button,
  code,
  confirmAction,
  copyable,
  crumbs,
  details,
  errorBox,
  fill,
  flash,
  h,
  heading,
  keyValues,
  notFoundHint,
  okBox,
  outcome,
  pre,
  section,
  statusCode,
  table,
  time,
} from "../dom.js";
import { field, fieldProblem, form, input, isoFromLocal, select, textarea } from "../forms.js";
import { navigate, reload } from "../router.js";
import { invocationHref, remember } from "./invocation.js";
import { cursorPager } from "./paging.js";
import { PAGE_SIZE, subscriptionsText } from "./webhooks.js";

export const INVOCATION_STATUSES = [
  "accepted",
  "throttled",
  "circuit broken",
  "retrying",
  "success",
  "failed",
  "terminated",
];

export async function render(view, { params, query, signal }) {
  const id = params.id;
  const path = `/api/v2/webhooks/${enc(id)}`;
  const [{ webhook }, invocations] = await Promise.all([
    api("GET", path, { signal }),
    api("GET", `${path}/invocations`, {
      query: {
        "filter[status]": query.status,
        "page[size]": query.size || PAGE_SIZE,
        "page[after]": query.after,
        "page[before]": query.before,
      },
      signal,
    }),
  ]);
  const result = outcome();
  const active = webhook.status === "active";
  add(
    view,
    crumbs(["Webhooks", "#/webhooks"], [webhook.name]),
    heading(webhook.name, badge(webhook.status)),
    h(
      "div",
      { class: "toolbar", role: "group", "aria-label": "Webhook actions" },
      h("a", { href: `#/webhooks/${enc(id)}/edit`, class: "button button-secondary" }, "Edit"),
      button(active ? "Deactivate" : "Activate", (event) =>
        busy(
          event.currentTarget,
          async () => {
            await api("PATCH", path, { json: { webhook: { status: active ? "inactive" : "active" } } });
            flash(`Webhook ${active ? "deactivated" : "activated"}.`);
            reload();
          },
          result,
        ),
      { class: "button button-secondary" }),
      button(
        "Delete",
        async (event) => {
          const target = event.currentTarget;
          const sure = await confirmAction({
            title: `Delete ${webhook.name}?`,
            message: "It stops receiving events at once, and its invocation log goes with it. This cannot be undone.",
            confirm: "Delete webhook",
          });
          if (!sure) return;
          await busy(
            target,
            async () => {
              await api("DELETE", path);
              flash(`Webhook "${webhook.name}" deleted.`);
              navigate("/webhooks");
            },
            result,
          );
        },
        { class: "button button-danger" },
      ),
    ),
    result,
    webhook.status_reason
      ? h("p", { class: "alert alert-warn" }, `Deactivated by Hookyard: ${webhook.status_reason}`)
      : null,
    section("Definition", definition(webhook)),
    invocationsSection(id, webhook, invocations, query),
    recoverSection(path),
    h("div", { class: "columns" }, secretSection(path), testSection(id)),
  );
}

function definition(webhook) {
  const auth = webhook.authentication;
  return details([
    ["Id", code(webhook.id)],
    ["Endpoint", code(webhook.endpoint)],
    ["Method and format", `${webhook.http_method}, ${webhook.request_format}`],
    ["Subscriptions", subscriptionsText(webhook.subscriptions) || "—"],
    ["Authentication", auth ? `${auth.type}${auth.data ? ` (${Object.values(auth.data).join(", ")})` : ""}` : "None"],
    ["Retries", webhook.retry_policy],
    [
      "Custom headers",
      Object.keys(webhook.custom_headers || {}).length ? keyValues("Custom headers", webhook.custom_headers) : "None",
    ],
    webhook.description ? ["Description", webhook.description] : null,
    webhook.verification
      ? ["Endpoint verification", [webhook.verification.status, webhook.verification.error].filter(Boolean).join(": ")]
      : null,
    ["Created", [time(webhook.created_at), ` by ${webhook.created_by}`]],
    ["Updated", [time(webhook.updated_at), ` by ${webhook.updated_by}`]],
  ]);
}

function secretSection(path) {
  const shown = h("div", { class: "secret" });
  const slot = outcome();
  const showSecret = (secret, note) => {
    slot.clear();
    fill(
      shown,
      note ? okBox(note) : null,
      details([copyable("Signing secret", secret.secret), ["Algorithm", secret.algorithm]]),
      button("Hide signing secret", () => shown.replaceChildren(), { class: "button button-secondary" }),
    );
  };
  return section(
    "Signing secret",
    h("p", {}, "Receivers verify each delivery's signature with this secret."),
    h(
      "div",
      { class: "toolbar" },
      button(
        "Reveal signing secret",
        (event) =>
          busy(
            event.currentTarget,
            async () => showSecret((await api("GET", `${path}/signing_secret`)).signing_secret),
            slot,
          ),
        { class: "button button-secondary" },
      ),
      button(
        "Reset signing secret",
        async (event) => {
          const target = event.currentTarget;
          const sure = await confirmAction({
            title: "Reset the signing secret?",
            message: "Deliveries are signed with the new secret at once; receivers must be given it.",
            confirm: "Reset signing secret",
          });
          if (!sure) return;
          await busy(
            target,
            async () => {
              const { signing_secret: secret } = await api("POST", `${path}/signing_secret`);
              showSecret(secret, "A new signing secret is in use.");
            },
            slot,
          );
        },
        { class: "button button-secondary" },
      ),
    ),
    slot,
    shown,
  );
}

function testSection(id) {
  const payload = textarea({ rows: 3, id: "test-payload", placeholder: '{"message": "a test from Hookyard"}' });
  const result = outcome();
  return section(
    "Send a test",
    h("p", {}, "Sends one request to the endpoint now, signed and authenticated as a delivery is; nothing is logged."),
    form({
      label: "Send a test",
      submit: "Send test",
      children: [field({ label: "Payload (optional)", field: "request.payload", control: payload })],
      onsubmit: async () => {
        result.clear();
        const body = payload.value.trim() ? { request: { payload: payload.value } } : {};
        const { response } = await api("POST", "/api/v2/webhooks/test", { query: { webhook_id: id }, json: body });
        result.show(testResult(response));
      },
    }),
    result,
  );
}

function testResult(response) {
  if (response.status === null || response.status === undefined) {
    const why = response.error ? `${response.error.type}: ${response.error.detail}` : "no response";
    return h("div", { class: "alert alert-error", role: "status" }, `No answer from the endpoint (${why}).`);
  }
  const headers = Object.fromEntries((response.headers || []).map((header) => [header.key, header.value]));
  return h(
    "div",
    { class: "test-result", role: "status" },
    h("p", {}, "The endpoint answered ", badge(String(response.status)), ` in ${response.duration} ms.`),
    keyValues("Response headers", headers),
    h("h3", {}, response.truncated ? "Response body (first 8 KB)" : "Response body"),
    pre(response.payload, "Response body"),
  );
}

function recoverSection(path) {
  const since = input({ type: "datetime-local", required: true, id: "recover-since" });
  const until = input({ type: "datetime-local", id: "recover-until" });
  const result = outcome();
  return section(
    "Recover failed since…",
    h("p", {}, "Sends every failed invocation of this period again, as new invocations."),
    form({
      label: "Recover failed invocations",
      class: "form form-inline",
      submit: "Recover failed invocations",
      children: [
        field({ label: "Since", field: "since", control: since }),
        field({ label: "Until (optional)", field: "until", control: until }),
      ],
      onsubmit: async () => {
        result.clear();
        const body = { since: isoFromLocal(since.value) };
        if (!body.since) throw fieldProblem("since", "choose a date and time");
        const end = isoFromLocal(until.value);
        if (end) body.until = end;
        try {
          const { recovery } = await api("POST", `${path}/recover`, { json: body });
          const invocations = `${recovery.count} failed invocation${recovery.count === 1 ? "" : "s"}`;
          result.show(okBox(`Recovery ${recovery.id} queued: ${invocations} will be sent again.`));
        } catch (error) {
          if (error.problems && error.problems.some((p) => p.field)) throw error;
          result.show(errorBox(error, "Recover failed."), notFoundHint(error, "recovery"));
        }
      },
    }),
    result,
  );
}

function invocationsSection(id, webhook, data, query) {
  const status = select([["", "Any"], ...INVOCATION_STATUSES.map((s) => [s, s])], query.status || "", {
    id: "invocations-status",
  });
  for (const invocation of data.invocations) remember(invocation);
  return section(
    "Invocations",
    form({
      label: "Filter invocations",
      class: "form form-inline",
      submit: "Show",
      children: [field({ label: "Status", control: status })],
      onsubmit: () => navigate(`/webhooks/${id}`, { status: status.value, size: query.size }),
    }),
    button("Refresh", () => reload(), { class: "button button-secondary refresh" }),
    table({
      caption: `!Invocations of ${webhook.name}`,
      columns: [
        {
          label: "Invocation",
          cell: (i) => h("a", { href: invocationHref(id, i.id) }, code(i.id)),
        },
        { label: "Time", cell: (i) => time(i.latest_completed_at || i.created_at) },
        { label: "Event type", cell: (i) => i.event_type, class: "break" },
        { label: "Trigger", cell: (i) => i.trigger || "—" },
        { label: "Status", cell: (i) => badge(i.status) },
        { label: "Status code", cell: (i) => statusCode(i.status_code) },
        { label: "Attempts", cell: (i) => String(i.attempts) },
      ],
      rows: data.invocations,
      empty: query.status ? `No ${query.status} invocations in the last 7 days.` : "No invocations in the last 7 days.",
    }),
    cursorPager(`/webhooks/${id}`, query, data.meta),
  );
}
