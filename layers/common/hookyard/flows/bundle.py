"""ZIS bundles: validate a whole bundle before anything is stored.

    validate_bundle(document, integration) -> Bundle(name, description, flows, actions, job_specs)

raises `BundleInvalid(problems)` (a BadRequest, HTTP 400) listing every problem found,
each a `Problem(resource, path, message)`: `resource` is the resource's key in
`resources` (None for the bundle's own fields), `path` the JSON path of the offending
value, e.g. `$.resources.flow_handle_ping.properties.definition.States.CheckTicketExists.Choices[0]`
(keys that are not identifiers in brackets: `States["Zendesk.TicketCreated"]`).

A bundle is `{zis_template_version: "2019-10-14", name, description?, resources}` with
resources of type `ZIS::Flow` {name, definition}, `ZIS::Action::Http` {name,
definition} and `ZIS::JobSpec` {name, event_source, event_type, flow_name}. Resources are
referred to by their `properties.name` (the resource key when there is none) in full
names: `zis:<integration>:flow:<name>`, `zis:<integration>:action:<name>`,
`zis:<integration>:job_spec:<name>`; references must resolve within the bundle. The
built-in actions (`zis:common:transform:Jq`, `zis:common:action:LoadConfig`,
`zis:common:action:PatchConfig`) are always valid. Names may use letters, digits, `_`,
`-` and `.` (ZIS's own samples use hyphens and dots), up to 128 characters.

`Bundle.flows` and `.actions` map short names to their definitions (the document's own
objects, not copies: treat them as read-only); `.job_specs` maps short names to JobSpec,
whose `flow_name` is the full name. Flow rules: hookyard.flows.language; HTTP action
definitions: hookyard.flows.actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hookyard.errors import BadRequest
from hookyard.flows.actions import check_action_definition
from hookyard.flows.language import FULL_NAME, check_flow
from hookyard.flows.paths import child_path

TEMPLATE_VERSION = "2019-10-14"
FLOW = "ZIS::Flow"
ACTION = "ZIS::Action::Http"
JOB_SPEC = "ZIS::JobSpec"
RESOURCE_TYPES = (FLOW, ACTION, JOB_SPEC)
BUNDLE_FIELDS = frozenset({"zis_template_version", "name", "description", "resources"})
PROPERTIES = {
    FLOW: frozenset({"name", "definition"}),
    ACTION: frozenset({"name", "definition"}),
    JOB_SPEC: frozenset({"name", "event_source", "event_type", "flow_name"}),
}
NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
MAX_SUMMARY_PROBLEMS = 5


def flow_full_name(integration: str, name: str) -> str:
    return f"zis:{integration}:flow:{name}"


def action_full_name(integration: str, name: str) -> str:
    return f"zis:{integration}:action:{name}"


def job_spec_full_name(integration: str, name: str) -> str:
    return f"zis:{integration}:job_spec:{name}"


@dataclass(frozen=True)
class Problem:
    resource: str | None
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class BundleInvalid(BadRequest):
    """Every problem of a rejected bundle; `details()` gives one line per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        shown = "; ".join(str(problem) for problem in problems[:MAX_SUMMARY_PROBLEMS])
        more = len(problems) - MAX_SUMMARY_PROBLEMS
        suffix = f"; and {more} more" if more > 0 else ""
        super().__init__(f"invalid bundle ({len(problems)} problems): {shown}{suffix}")
        self.problems = problems

    def details(self) -> list[str]:
        return [str(problem) for problem in self.problems]


@dataclass(frozen=True)
class JobSpec:
    name: str
    event_source: str
    event_type: str
    flow_name: str  # zis:<integration>:flow:<name>


@dataclass(frozen=True)
class Bundle:
    name: str
    description: str
    flows: dict[str, dict[str, Any]]
    actions: dict[str, dict[str, Any]]
    job_specs: dict[str, JobSpec]


def validate_bundle(document: Any, integration: str) -> Bundle:
    """The bundle in `document` for `integration`, or BundleInvalid with every problem."""
    return _Validator(integration).bundle(document)


@dataclass(frozen=True)
class _Resource:
    key: str
    type: str
    name: str
    properties: dict[str, Any]
    path: str


class _Validator:
    def __init__(self, integration: str) -> None:
        self.integration = integration
        self.problems: list[Problem] = []
        self.resource: str | None = None

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.resource, path, message))

    def bundle(self, document: Any) -> Bundle:
        if not isinstance(document, dict):
            raise BundleInvalid([Problem(None, "$", "a bundle must be a JSON object")])
        for key in document:
            if key not in BUNDLE_FIELDS:
                self.add(child_path("$", key), f"unknown field {key} (expected {', '.join(sorted(BUNDLE_FIELDS))})")
        version = document.get("zis_template_version")
        if version != TEMPLATE_VERSION:
            shown = "missing" if version is None else repr(version)
            self.add("$.zis_template_version", f"zis_template_version must be {TEMPLATE_VERSION!r} ({shown})")
        name = self.name(document.get("name"), "$.name", "bundle name")
        description = document.get("description", "")
        if not isinstance(description, str):
            self.add("$.description", "description must be a string")
            description = ""
        resources = self.resources(document.get("resources"))
        actions = {r.name: r for r in resources if r.type == ACTION}
        flows = {r.name: r for r in resources if r.type == FLOW}
        job_specs = {r.name: r for r in resources if r.type == JOB_SPEC}
        for resource in resources:
            self.resource = resource.key
            if resource.type == JOB_SPEC:
                self.job_spec(resource, flows.keys())
                continue
            definition = resource.properties.get("definition")
            where = child_path(resource.path, "definition")
            if definition is None:
                self.add(where, "definition is required")
            elif resource.type == ACTION:
                check_action_definition(definition, where, self.add)
            else:
                check_flow(definition, where, self.add, integration=self.integration, actions=actions.keys())
        self.resource = None
        if self.problems:
            raise BundleInvalid(self.problems)
        return Bundle(
            name=name,
            description=description,
            flows={n: r.properties["definition"] for n, r in flows.items()},
            actions={n: r.properties["definition"] for n, r in actions.items()},
            job_specs={
                n: JobSpec(n, r.properties["event_source"], r.properties["event_type"], r.properties["flow_name"])
                for n, r in job_specs.items()
            },
        )

    def name(self, value: Any, path: str, what: str) -> str:
        if value is None:
            self.add(path, f"{what} is required")
        elif not isinstance(value, str) or not NAME.match(value):
            self.add(path, f"{what} must be 1 to 128 letters, digits, '_', '-' or '.' (got {value!r})")
        else:
            return value
        return ""

    def resources(self, resources: Any) -> list[_Resource]:
        if resources is None:
            self.add("$.resources", "resources is required (an object of resources by key)")
            return []
        if not isinstance(resources, dict):
            self.add("$.resources", "resources must be an object of resources by key")
            return []
        found: list[_Resource] = []
        seen: dict[tuple[str, str], str] = {}
        for key, resource in resources.items():
            self.resource = key
            path = child_path("$.resources", key)
            parsed = self.header(key, resource, path)
            if parsed is None:
                continue
            earlier = seen.setdefault((parsed.type, parsed.name), key)
            if earlier != key:
                self.add(child_path(parsed.path, "name"), f"{parsed.type} name {parsed.name} is also used by {earlier}")
                continue
            found.append(parsed)
        self.resource = None
        return found

    def header(self, key: str, resource: Any, path: str) -> _Resource | None:
        """The resource's type, name and properties, if they are well formed."""
        if not isinstance(resource, dict):
            self.add(path, "a resource must be an object with type and properties")
            return None
        for field in resource:
            if field not in ("type", "properties"):
                self.add(child_path(path, field), f"unknown field {field} (expected type and properties)")
        kind = resource.get("type")
        if kind not in RESOURCE_TYPES:
            self.add(
                child_path(path, "type"),
                f"unknown resource type {kind!r} (expected one of {', '.join(RESOURCE_TYPES)})",
            )
            return None
        properties = resource.get("properties")
        properties_path = child_path(path, "properties")
        if not isinstance(properties, dict):
            self.add(properties_path, "properties must be an object")
            return None
        for field in properties:
            if field not in PROPERTIES[kind]:
                self.add(child_path(properties_path, field), f"unknown property {field} of a {kind}")
        name = self.name(properties.get("name", key), child_path(properties_path, "name"), "name")
        if not name:
            return None
        return _Resource(key, kind, name, properties, properties_path)

    def job_spec(self, resource: _Resource, flows: Any) -> None:
        properties = resource.properties
        for field in ("event_source", "event_type", "flow_name"):
            value = properties.get(field)
            if not isinstance(value, str) or not value.strip():
                self.add(child_path(resource.path, field), f"{field} is required (a non-empty string)")
        flow_name = properties.get("flow_name")
        if not isinstance(flow_name, str) or not flow_name.strip():
            return
        found = FULL_NAME.match(flow_name)
        where = child_path(resource.path, "flow_name")
        if not found or found["kind"] != "flow":
            self.add(where, f"flow_name must be zis:{self.integration}:flow:<name>, not {flow_name}")
        elif found["integration"] != self.integration:
            self.add(
                where, f"flow_name {flow_name} belongs to integration {found['integration']}, not {self.integration}"
            )
        elif found["name"] not in flows:
            self.add(where, f"flow_name refers to a flow that does not exist in this bundle: {flow_name}")
