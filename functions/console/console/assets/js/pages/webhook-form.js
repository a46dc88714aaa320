// Create and edit a webhook (POST /api/v2/webhooks, PUT /api/v2/webhooks/{id}). The API
// validates; its problems are shown next to the field they name.
import { api, enc } from "../api.js";
import { add, crumbs, flash, h, heading } from "../dom.js";
import { field, form, input, select, textarea } from "../forms.js";
import { navigate } from "../router.js";

const METHODS = ["POST", "PUT", "PATCH", "GET", "DELETE"].map((m) => [m, m]);
const FORMATS = [
  ["json", "JSON"],
  ["xml", "XML"],
  ["form_encoded", "Form encoded"],
];
const AUTH_TYPES = [
  ["", "None"],
  ["basic_auth", "Basic auth"],
  ["bearer_token", "Bearer token"],
  ["api_key", "API key header"],
];

export function renderCreate(view) {
  add(view, crumbs(["Webhooks", "#/webhooks"], ["Create"]), heading("Create webhook"));
  add(view, webhookForm(null));
}

export async function renderEdit(view, { params, signal }) {
  const { webhook } = await api("GET", `/api/v2/webhooks/${enc(params.id)}`, { signal });
  add(
    view,
    crumbs(["Webhooks", "#/webhooks"], [webhook.name, `#/webhooks/${enc(webhook.id)}`], ["Edit"]),
    heading(`Edit ${webhook.name}`),
  );
  add(view, webhookForm(webhook));
}

function headersText(headers) {
  return Object.entries(headers || {})
    .map(([name, value]) => `${name}: ${value}`)
    .join("\n");
}

function parseHeaders(text) {
  const headers = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf(":");
    if (at <= 0) {
      const error = new Error(`custom_headers: "${line.trim()}" is not "Name: value"`);
      error.problems = [{ field: "custom_headers", message: `"${line.trim()}" is not "Name: value"` }];
      throw error;
    }
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

function webhookForm(webhook) {
  const editing = Boolean(webhook);
  const auth = (webhook && webhook.authentication) || null;
  const controls = {
    name: input({ value: webhook ? webhook.name : "", required: true, id: "webhook-name" }),
    description: textarea({ value: (webhook && webhook.description) || "", rows: 2, id: "webhook-description" }),
    endpoint: input({ type: "url", value: webhook ? webhook.endpoint : "", required: true, id: "webhook-endpoint" }),
    subscriptions: textarea({
      value: webhook ? webhook.subscriptions.join("\n") : "",
      rows: 3,
      id: "webhook-subscriptions",
    }),
    http_method: select(METHODS, webhook ? webhook.http_method : "POST", { id: "webhook-method" }),
    request_format: select(FORMATS, webhook ? webhook.request_format : "json", { id: "webhook-format" }),
    status: select(
      [
        ["active", "Active"],
        ["inactive", "Inactive"],
      ],
      webhook ? webhook.status : "active",
      { id: "webhook-status" },
    ),
    retry_policy: select(
      [
        ["zendesk", "Zendesk's (a few retries)"],
        ["extended", "Extended (about 28 hours)"],
      ],
      webhook ? webhook.retry_policy : "zendesk",
      { id: "webhook-retry" },
    ),
    custom_headers: textarea({ value: headersText(webhook && webhook.custom_headers), rows: 2, id: "webhook-headers" }),
    auth_type: select(AUTH_TYPES, auth ? auth.type : "", { id: "webhook-auth-type" }),
    username: input({ value: (auth && auth.data && auth.data.username) || "", id: "webhook-auth-username" }),
    password: input({ type: "password", autocomplete: "new-password", id: "webhook-auth-password" }),
    token: input({ type: "password", autocomplete: "new-password", id: "webhook-auth-token" }),
    key_name: input({ value: (auth && auth.data && auth.data.name) || "", id: "webhook-auth-key-name" }),
    key_value: input({ type: "password", autocomplete: "new-password", id: "webhook-auth-key-value" }),
  };
  const keep = editing ? "Leave empty to keep the stored one." : null;
  const authGroups = {
    basic_auth: h(
      "div",
      { class: "field-group" },
      field({
        label: "User name",
        field: "authentication.data.username",
        control: controls.username,
        help: editing ? "A new user name needs the password too." : null,
      }),
      field({ label: "Password", field: "authentication.data.password", control: controls.password, help: keep }),
    ),
    bearer_token: h(
      "div",
      { class: "field-group" },
      field({ label: "Token", field: "authentication.data.token", control: controls.token, help: keep }),
    ),
    api_key: h(
      "div",
      { class: "field-group" },
      field({ label: "Header name", field: "authentication.data.name", control: controls.key_name }),
      field({ label: "Header value", field: "authentication.data.value", control: controls.key_value, help: keep }),
    ),
  };
  const showAuth = () => {
    for (const [type, group] of Object.entries(authGroups)) group.hidden = controls.auth_type.value !== type;
  };
  controls.auth_type.addEventListener("change", showAuth);
  showAuth();

  const body = () => {
    const definition = {
      name: controls.name.value.trim(),
      description: controls.description.value.trim() || null,
      endpoint: controls.endpoint.value.trim(),
      http_method: controls.http_method.value,
      request_format: controls.request_format.value,
      status: controls.status.value,
      retry_policy: controls.retry_policy.value,
      subscriptions: controls.subscriptions.value
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean),
      custom_headers: parseHeaders(controls.custom_headers.value),
    };
    if (!definition.subscriptions.length && !editing) definition.subscriptions = undefined;
    const type = controls.auth_type.value;
    if (type) {
      const secret = { basic_auth: controls.password, bearer_token: controls.token, api_key: controls.key_value }[type];
      const data = secret.value
        ? {
            basic_auth: { username: controls.username.value.trim(), password: controls.password.value },
            bearer_token: { token: controls.token.value },
            api_key: { name: controls.key_name.value.trim(), value: controls.key_value.value },
          }[type]
        : null;
      // Without data the API keeps the stored credentials (same type), as Zendesk does.
      definition.authentication = data ? { type, add_position: "header", data } : { type, add_position: "header" };
    }
    return { webhook: definition };
  };

  return form({
    label: editing ? "Edit webhook" : "Create webhook",
    submit: editing ? "Save changes" : "Create webhook",
    children: [
      field({ label: "Name", field: "name", control: controls.name }),
      field({ label: "Description", field: "description", control: controls.description }),
      field({
        label: "Endpoint URL",
        field: "endpoint",
        control: controls.endpoint,
        help: "Where each event is sent (http or https).",
      }),
      field({
        label: "Subscriptions",
        field: "subscriptions",
        control: controls.subscriptions,
        help:
          "One event type a line, as <source>:event-type:<type> (an inbound webhook with source slack and type " +
          "ticket.NewReply sends slack:event-type:ticket.NewReply); or conditional_ticket_events for a webhook " +
          "that triggers notify.",
      }),
      h(
        "div",
        { class: "field-row" },
        field({
          label: "HTTP method",
          field: "http_method",
          control: controls.http_method,
          help: "Webhooks subscribed to events always POST JSON.",
        }),
        field({ label: "Request format", field: "request_format", control: controls.request_format }),
        field({ label: "Status", field: "status", control: controls.status }),
        field({ label: "Retries", field: "retry_policy", control: controls.retry_policy }),
      ),
      field({ label: "Authentication", field: "authentication", control: controls.auth_type }),
      authGroups.basic_auth,
      authGroups.bearer_token,
      authGroups.api_key,
      field({
        label: "Custom headers",
        field: "custom_headers",
        control: controls.custom_headers,
        help: "One a line, as Name: value (at most 5; https endpoints only).",
      }),
    ],
    onsubmit: async () => {
      const payload = body();
      if (editing) {
        await api("PUT", `/api/v2/webhooks/${enc(webhook.id)}`, { json: payload });
        flash(`Webhook "${payload.webhook.name}" saved.`);
        navigate(`/webhooks/${webhook.id}`);
      } else {
        const created = await api("POST", "/api/v2/webhooks", { json: payload });
        flash(`Webhook "${created.webhook.name}" created.`);
        navigate(`/webhooks/${created.webhook.id}`);
      }
    },
  });
}
