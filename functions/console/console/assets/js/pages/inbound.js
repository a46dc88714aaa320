// Inbound webhooks of an integration: list, create (the password is shown once), rotate
// credentials, delete.
import { API_PREFIX, api, enc } from "../api.js";
import {
  add,
  busy,
  button,
  code,
  confirmAction,
  copyable,
  details,
  fill,
  h,
  heading,
  okBox,
  outcome,
  section,
  table,
} from "../dom.js";
import { field, form, input } from "../forms.js";
import { navigate } from "../router.js";
import { integrationField, integrationNames } from "./integration-picker.js";
import { forwardPager } from "./paging.js";

const BASE = "/api/services/zis/inbound_webhooks/generic";

function ingestUrl(path) {
  return `${location.origin}${API_PREFIX}${path}`;
}

// What a sender needs; shown once, right after create or rotate.
function credentials(webhook, note) {
  return okBox(
    h("p", {}, h("strong", {}, note), " Copy the password now: it is shown only once."),
    details([
      copyable("Ingest URL", ingestUrl(webhook.path)),
      copyable("Username", webhook.username),
      copyable("Password", webhook.password),
    ]),
  );
}

export async function render(view, { query, signal }) {
  add(view, heading("Inbound webhooks"));
  const names = await integrationNames(signal);
  const chosen = query.integration || names[0] || "";
  const picker = integrationField(
    names,
    chosen,
    "Inbound webhooks belong to an integration; their events reach its job specs.",
  );
  add(
    view,
    form({
      label: "Choose an integration",
      class: "form form-inline",
      submit: "Show",
      children: [picker.element],
      onsubmit: () => navigate("/inbound-webhooks", { integration: picker.control.value.trim() }),
    }),
  );
  if (!chosen) {
    add(view, h("p", { class: "empty" }, "Name an integration to see and create its inbound webhooks."));
    return;
  }
  const base = `${BASE}/${enc(chosen)}`;
  // The outcome of the last action stays on screen (a one-time password) while the list
  // below is read again.
  const result = outcome();
  const list = h("div");
  const refresh = async (options = {}) => {
    const data = await api("GET", base, { query: { "page[size]": 50, "page[after]": query.after }, ...options });
    fill(list, listSection(base, chosen, data, query, result, refresh));
  };
  add(view, createSection(base, chosen, result, refresh), result, list);
  await refresh({ signal });
}

function listSection(base, integration, data, query, result, refresh) {
  const describe = (w) => `${w.source_system} ${w.event_type} (${w.username})`;
  return section(
    `Inbound webhooks of ${integration}`,
    table({
      caption: `!Inbound webhooks of ${integration}`,
      columns: [
        { label: "Source system", cell: (w) => w.source_system },
        { label: "Event type", cell: (w) => w.event_type },
        { label: "Username", cell: (w) => code(w.username) },
        { label: "Ingest URL", cell: (w) => code(ingestUrl(w.path)), class: "break" },
        {
          label: "Actions",
          cell: (w) =>
            h(
              "div",
              { class: "row-actions" },
              button(
                "Rotate credentials",
                async (event) => {
                  const target = event.currentTarget;
                  const sure = await confirmAction({
                    title: "Rotate the credentials?",
                    message:
                      "A new username and password replace the old pair, which stops working at once. The URL stays.",
                    confirm: "Rotate credentials",
                  });
                  if (!sure) return;
                  await busy(
                    target,
                    async () => {
                      const rotated = await api("POST", `${base}/${enc(w.uuid)}/credentials`);
                      result.show(credentials(rotated, "New credentials are in use."));
                      await refresh();
                    },
                    result,
                  );
                },
                { class: "button button-small button-secondary", "aria-label": `Rotate credentials of ${describe(w)}` },
              ),
              button(
                "Delete",
                async (event) => {
                  const target = event.currentTarget;
                  const sure = await confirmAction({
                    title: "Delete this inbound webhook?",
                    message: `Its URL stops accepting ${w.source_system} ${w.event_type} events at once.`,
                    confirm: "Delete inbound webhook",
                  });
                  if (!sure) return;
                  await busy(
                    target,
                    async () => {
                      await api("DELETE", `${base}/${enc(w.uuid)}`);
                      result.show(okBox(`Inbound webhook ${describe(w)} deleted.`));
                      await refresh();
                    },
                    result,
                  );
                },
                { class: "button button-small button-danger", "aria-label": `Delete ${describe(w)}` },
              ),
            ),
        },
      ],
      rows: data.inbound_webhooks,
      empty: "No inbound webhooks in this integration yet.",
    }),
    forwardPager("/inbound-webhooks", { ...query, integration }, data.meta),
  );
}

function createSection(base, integration, result, refresh) {
  const source = input({ required: true, id: "inbound-source", placeholder: "slack" });
  const type = input({ required: true, id: "inbound-type", placeholder: "ticket.NewReply" });
  const verify = input({ type: "password", autocomplete: "new-password", id: "inbound-verify" });
  return section(
    "Create an inbound webhook",
    form({
      label: "Create an inbound webhook",
      submit: "Create inbound webhook",
      children: [
        h(
          "div",
          { class: "field-row" },
          field({
            label: "Source system",
            field: "source_system",
            control: source,
            help: "The event's source on the bus.",
          }),
          field({ label: "Event type", field: "event_type", control: type, help: "The event's type on the bus." }),
          field({
            label: "Verify token (optional)",
            field: "verify_token",
            control: verify,
            help: "For senders that verify the URL with a challenge first.",
          }),
        ),
      ],
      onsubmit: async () => {
        result.clear();
        const body = { source_system: source.value.trim(), event_type: type.value.trim() };
        if (verify.value) body.verify_token = verify.value;
        const created = await api("POST", base, { json: body });
        result.show(credentials(created, `Inbound webhook created in ${integration}.`));
        await refresh();
      },
    }),
  );
}
