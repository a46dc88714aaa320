// Integrations: the account's ZIS integrations, and creating one.
import { api, enc } from "../api.js";
import { add, flash, h, heading, section, table, time } from "../dom.js";
import { field, fieldProblem, form, input } from "../forms.js";
import { navigate } from "../router.js";

export async function render(view, { signal }) {
  add(view, heading("Integrations"));
  const { integrations } = await api("GET", "/api/services/zis/registry/integrations", { signal });
  add(
    view,
    section(
      "Your integrations",
      table({
        caption: "!Integrations",
        columns: [
          { label: "Name", cell: (i) => h("a", { href: `#/integrations/${enc(i.name)}` }, i.name) },
          { label: "Description", cell: (i) => i.description || "—" },
          { label: "Created", cell: (i) => time(i.created_at) },
        ],
        rows: integrations,
        empty: "No integrations yet: create one to upload a bundle.",
      }),
    ),
    createSection(),
  );
}

function createSection() {
  const name = input({ required: true, id: "integration-name", placeholder: "my_integration" });
  const description = input({ id: "integration-description" });
  return section(
    "Create an integration",
    form({
      label: "Create an integration",
      submit: "Create integration",
      children: [
        h(
          "div",
          { class: "field-row" },
          field({
            label: "Name",
            field: "integration",
            control: name,
            help: "Lower-case letters, digits, _ and -; at most 64.",
          }),
          field({ label: "Description", field: "description", control: description }),
        ),
      ],
      onsubmit: async () => {
        const value = name.value.trim();
        if (!value) throw fieldProblem("integration", "required");
        const body = { description: description.value.trim() };
        await api("POST", `/api/services/zis/registry/${enc(value)}`, { json: body });
        flash(`Integration ${value} created.`);
        navigate(`/integrations/${value}`);
      },
    }),
  );
}
