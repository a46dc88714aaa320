// Choosing an integration: a text field offering the account's integrations.
import { api } from "../api.js";
import { h, uid } from "../dom.js";
import { field, input } from "../forms.js";

export async function integrationNames(signal) {
  const { integrations } = await api("GET", "/api/services/zis/registry/integrations", { signal });
  return integrations.map((i) => i.name);
}

export function integrationField(names, value, help) {
  const listId = uid("integrations");
  const control = input({ value: value || "", list: listId, required: true, id: uid("integration") });
  return {
    control,
    element: h(
      "div",
      {},
      field({ label: "Integration", field: "integration", control, help }),
      h("datalist", { id: listId }, names.map((name) => h("option", { value: name }))),
    ),
  };
}
