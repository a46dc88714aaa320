// An integration: bundles (upload a JSON file), job specs (install / uninstall),
// connections (secrets never shown), configs, and a way to an execution.
import { api, enc } from "../api.js";
import {
  add,
  badge,
  busy,
  button,
  code,
  confirmAction,
  crumbs,
  errorBox,
  fill,
  h,
  heading,
  okBox,
  outcome,
  pre,
  section,
  table,
  time,
  uid,
} from "../dom.js";
import { field, form, input, select, showProblems, textarea } from "../forms.js";
import { navigate } from "../router.js";

const REGISTRY = "/api/services/zis/registry";

export async function render(view, { params, signal }) {
  const name = params.name;
  const { integrations } = await api("GET", `${REGISTRY}/integrations`, { signal });
  const integration = integrations.find((i) => i.name === name);
  add(view, crumbs(["Integrations", "#/integrations"], [name]), heading(name));
  if (!integration) {
    add(view, errorBox(new Error(`There is no integration named ${name} in this account.`)));
    return;
  }
  if (integration.description) add(view, h("p", { class: "lead" }, integration.description));
  const specs = jobSpecs(name);
  // An upload changes the job specs too (new ones, and those the new bundle drops).
  const parts = [bundles(name, () => specs.load()), specs, connections(name), configs(name), executionLookup(name)];
  add(view, ...parts.map((part) => part.element));
  await Promise.all(parts.filter((part) => part.load).map((part) => part.load(signal)));
}

// A section whose body is read from the API, and read again after each change.
function loaded(title, intro, read, draw, extra) {
  const body = h("div");
  const result = outcome();
  const load = async (signal) => {
    try {
      const data = await read(signal);
      fill(body, draw(data, { result, reload }));
    } catch (error) {
      if (error.name === "AbortError") return;
      fill(body, errorBox(error));
    }
  };
  // Read again without the page's abort signal: a change made here is not a navigation.
  const reload = () => load();
  const element = section(
    title,
    intro ? h("p", {}, intro) : null,
    result,
    body,
    extra ? extra({ result, reload }) : null,
  );
  return { element, load };
}

// ------------------------------------------------------------------ bundles

function bundles(name, afterUpload) {
  return loaded(
    "Bundles",
    "A bundle holds the integration's flows, actions and job specs. Uploading one with the same name replaces it.",
    (signal) => api("GET", `${REGISTRY}/${enc(name)}/bundles`, { query: { "page[size]": 100 }, signal }),
    (data) =>
      table({
        caption: "!Bundles",
        columns: [
          { label: "Name", cell: (b) => code(b.name) },
          { label: "Description", cell: (b) => b.description || "—" },
          { label: "Updated", cell: (b) => time(b.updated_at) },
          { label: "Definition", cell: (b) => bundleViewer(name, b) },
        ],
        rows: data.bundles,
        empty: "No bundle uploaded yet.",
      }),
    ({ result, reload }) => uploadForm(name, result, () => Promise.all([reload(), afterUpload()])),
  );
}

function bundleViewer(name, bundle) {
  const body = h("div");
  const element = h("details", {}, h("summary", {}, "Show JSON"), body);
  element.addEventListener("toggle", async () => {
    if (!element.open || body.childElementCount) return;
    try {
      const answer = await api("GET", `${REGISTRY}/${enc(name)}/bundles/${enc(bundle.uuid)}`);
      fill(body, pre(answer.bundle, `Bundle ${bundle.name}`));
    } catch (error) {
      fill(body, errorBox(error));
    }
  });
  return element;
}

function uploadForm(name, result, uploaded) {
  const file = h("input", { type: "file", accept: ".json,application/json", required: true, id: uid("bundle-file") });
  return form({
    label: "Upload a bundle",
    submit: "Upload bundle",
    children: [field({ label: "Bundle file (JSON)", field: "bundle", control: file })],
    onsubmit: async (element) => {
      result.clear();
      const chosen = file.files && file.files[0];
      if (!chosen) throw new Error("Choose a bundle file first.");
      const text = await chosen.text();
      try {
        JSON.parse(text);
      } catch (error) {
        throw new Error(`${chosen.name} is not JSON: ${error.message}`);
      }
      try {
        await api("POST", `${REGISTRY}/${enc(name)}/bundles`, { text });
      } catch (error) {
        if (error.status !== 400) throw error;
        const count = error.details.length;
        showProblems(element, error, `The bundle was refused (${count} problem${count === 1 ? "" : "s"}):`);
        return;
      }
      file.value = "";
      result.show(okBox(`Bundle ${chosen.name} uploaded.`));
      await uploaded();
    },
  });
}

// ------------------------------------------------------------------ job specs

function jobSpecs(name) {
  return loaded(
    "Job specs",
    "An installed job spec runs its flow for every event of its source and type that reaches this integration.",
    (signal) => api("GET", `${REGISTRY}/${enc(name)}/job_specs`, { signal }),
    (data, { result, reload }) =>
      table({
        caption: "!Job specs",
        columns: [
          { label: "Name", cell: (j) => code(j.name) },
          { label: "Event", cell: (j) => `${j.event_source} / ${j.event_type}` },
          { label: "Flow", cell: (j) => code(j.flow_name), class: "break" },
          { label: "Status", cell: (j) => badge(j.installed ? "installed" : "not installed") },
          {
            label: "Action",
            cell: (j) =>
              button(
                j.installed ? "Uninstall" : "Install",
                (event) =>
                  busy(
                    event.currentTarget,
                    async () => {
                      await api(j.installed ? "DELETE" : "POST", `${REGISTRY}/job_specs/install`, {
                        query: { job_spec_name: j.full_name },
                      });
                      result.show(okBox(`Job spec ${j.name} ${j.installed ? "uninstalled" : "installed"}.`));
                      await reload();
                    },
                    result,
                  ),
                {
                  class: `button button-small${j.installed ? " button-secondary" : ""}`,
                  "aria-label": `${j.installed ? "Uninstall" : "Install"} ${j.name}`,
                },
              ),
          },
        ],
        rows: data.job_specs,
        empty: "No job specs: upload a bundle that has some.",
      }),
  );
}

// ------------------------------------------------------------------ connections

const CONNECTION_TYPES = [
  ["basic_auth", "Basic auth"],
  ["bearer_token", "Bearer token"],
  ["api_key", "API key"],
];

function connections(name) {
  const base = `/api/services/zis/integrations/${enc(name)}/connections`;
  return loaded(
    "Connections",
    "Credentials that the bundle's HTTP actions name. Secrets are write-only: the API never shows them.",
    (signal) => api("GET", `${base}/all`, { query: { "page[size]": 100 }, signal }),
    (data, { result, reload }) => {
      const rows = CONNECTION_TYPES.flatMap(([type]) => (data[type] || []).map((c) => ({ ...c, type })));
      rows.sort((a, b) => a.name.localeCompare(b.name));
      return h(
        "div",
        {},
        table({
          caption: "!Connections",
          columns: [
            { label: "Name", cell: (c) => code(c.name) },
            { label: "Type", cell: (c) => c.type },
            { label: "Allowed domain", cell: (c) => code(c.allowed_domain) },
            { label: "Base URL", cell: (c) => (c.base_url ? code(c.base_url) : "—"), class: "break" },
            { label: "Identity", cell: (c) => c.username || c.header_name || "—" },
            { label: "Updated", cell: (c) => time(c.updated_at) },
            {
              label: "Action",
              cell: (c) =>
                button(
                  "Delete",
                  async (event) => {
                    const target = event.currentTarget;
                    const sure = await confirmAction({
                      title: `Delete connection ${c.name}?`,
                      message: "Actions that name it fail from then on.",
                      confirm: "Delete connection",
                    });
                    if (!sure) return;
                    await busy(
                      target,
                      async () => {
                        await api("DELETE", `${base}/${enc(c.type)}/${enc(c.name)}`);
                        result.show(okBox(`Connection ${c.name} deleted.`));
                        await reload();
                      },
                      result,
                    );
                  },
                  { class: "button button-small button-danger", "aria-label": `Delete connection ${c.name}` },
                ),
            },
          ],
          rows,
          empty: "No connections yet.",
        }),
        data.meta && data.meta.has_more ? h("p", { class: "help" }, "Showing the first 100 connections.") : null,
      );
    },
    ({ result, reload }) => connectionForm(base, result, reload),
  );
}

function connectionForm(base, result, reload) {
  const type = select(CONNECTION_TYPES, "basic_auth", { id: uid("connection-type") });
  const controls = {
    name: input({ required: true, id: uid("connection-name") }),
    allowed_domain: input({ required: true, id: uid("connection-domain"), placeholder: "example.zendesk.com" }),
    base_url: input({ id: uid("connection-base-url") }),
    username: input({ id: uid("connection-username") }),
    password: input({ type: "password", autocomplete: "new-password", id: uid("connection-password") }),
    token: input({ type: "password", autocomplete: "new-password", id: uid("connection-token") }),
    header_name: input({ id: uid("connection-header") }),
    api_key: input({ type: "password", autocomplete: "new-password", id: uid("connection-key") }),
  };
  const groups = {
    basic_auth: h(
      "div",
      { class: "field-row" },
      field({ label: "User name", field: "username", control: controls.username }),
      field({ label: "Password", field: "password", control: controls.password }),
    ),
    bearer_token: h("div", { class: "field-row" }, field({ label: "Token", field: "token", control: controls.token })),
    api_key: h(
      "div",
      { class: "field-row" },
      field({ label: "Header name", field: "header_name", control: controls.header_name }),
      field({ label: "API key", field: "api_key", control: controls.api_key }),
    ),
  };
  const show = () => {
    for (const [name, group] of Object.entries(groups)) group.hidden = type.value !== name;
  };
  type.addEventListener("change", show);
  show();
  const secretFields = {
    basic_auth: ["username", "password"],
    bearer_token: ["token"],
    api_key: ["header_name", "api_key"],
  };
  const element = form({
    label: "Create a connection",
    submit: "Create connection",
    children: [
      h("h3", {}, "Create a connection"),
      h(
        "div",
        { class: "field-row" },
        field({ label: "Type", field: "connection_type", control: type }),
        field({ label: "Name", field: "name", control: controls.name }),
        field({ label: "Allowed domain", field: "allowed_domain", control: controls.allowed_domain }),
        field({ label: "Base URL (optional)", field: "base_url", control: controls.base_url }),
      ),
      groups.basic_auth,
      groups.bearer_token,
      groups.api_key,
    ],
    onsubmit: async () => {
      result.clear();
      const body = { name: controls.name.value.trim(), allowed_domain: controls.allowed_domain.value.trim() };
      if (controls.base_url.value.trim()) body.base_url = controls.base_url.value.trim();
      for (const key of secretFields[type.value]) body[key] = controls[key].value;
      await api("POST", `${base}/${enc(type.value)}`, { json: body });
      for (const control of Object.values(controls)) control.value = "";
      result.show(okBox(`Connection ${body.name} created.`));
      await reload();
    },
  });
  return element;
}

// ------------------------------------------------------------------ configs

function configs(name) {
  const base = `/api/services/zis/integrations/${enc(name)}/configs`;
  return loaded(
    "Configs",
    "JSON objects by scope, which flows read with LoadConfig and change with PatchConfig.",
    (signal) => api("GET", base, { query: { "page[size]": 100 }, signal }),
    (data, { result, reload }) =>
      h(
        "div",
        {},
        data.configs.length
          ? data.configs.map((config) => configEditor(base, config, result, reload))
          : h("p", { class: "empty" }, "No configs yet."),
      ),
    ({ result, reload }) => configForm(base, result, reload),
  );
}

function parseObject(text, fieldName) {
  try {
    const value = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw Object.assign(new Error(`${fieldName}: must be a JSON object`), {
    problems: [{ field: fieldName, message: "must be a JSON object" }],
  });
}

function configEditor(base, config, result, reload) {
  const path = `${base}/${enc(config.scope)}`;
  const editor = textarea({ rows: 6, value: JSON.stringify(config.config, null, 2), id: uid("config") });
  return h(
    "details",
    { class: "config" },
    h("summary", {}, code(config.scope), " ", h("span", { class: "muted" }, "updated "), time(config.updated_at)),
    form({
      label: `Config ${config.scope}`,
      submit: "Save config",
      children: [field({ label: `Config of ${config.scope} (JSON)`, field: "config", control: editor })],
      onsubmit: async () => {
        result.clear();
        await api("PUT", path, { json: { config: parseObject(editor.value, "config") } });
        result.show(okBox(`Config ${config.scope} saved.`));
        await reload();
      },
    }),
    button(
      "Delete config",
      async (event) => {
        const target = event.currentTarget;
        const sure = await confirmAction({
          title: `Delete config ${config.scope}?`,
          message: "Flows that load it find nothing from then on.",
          confirm: "Delete config",
        });
        if (!sure) return;
        await busy(
          target,
          async () => {
            await api("DELETE", path);
            result.show(okBox(`Config ${config.scope} deleted.`));
            await reload();
          },
          result,
        );
      },
      { class: "button button-small button-danger" },
    ),
  );
}

function configForm(base, result, reload) {
  const scope = input({ required: true, id: uid("config-scope") });
  const value = textarea({ rows: 4, value: "{}", id: uid("config-value") });
  return form({
    label: "Create a config",
    submit: "Create config",
    children: [
      h("h3", {}, "Create a config"),
      field({ label: "Scope", field: "scope", control: scope }),
      field({ label: "Config (JSON object)", field: "config", control: value }),
    ],
    onsubmit: async () => {
      result.clear();
      const body = { scope: scope.value.trim(), config: parseObject(value.value, "config") };
      await api("POST", base, { json: body });
      scope.value = "";
      value.value = "{}";
      result.show(okBox(`Config ${body.scope} created.`));
      await reload();
    },
  });
}

// ------------------------------------------------------------------ executions

function executionLookup(name) {
  const id = input({ required: true, id: uid("execution-id") });
  return {
    element: section(
      "Executions",
      h("p", {}, "Each flow run is an execution; the log entries link to theirs. Open one by its id:"),
      form({
        label: "Open an execution",
        class: "form form-inline",
        submit: "Open execution",
        children: [field({ label: "Execution id", control: id })],
        onsubmit: () => {
          if (!id.value.trim()) throw new Error("Enter an execution id.");
          navigate(`/integrations/${name}/executions/${encodeURIComponent(id.value.trim())}`);
        },
      }),
      h("p", {}, h("a", { href: `#/logs?integration=${enc(name)}` }, `Read the logs of ${name}`)),
    ),
  };
}
