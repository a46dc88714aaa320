"""What the flow runner needs of a bundle's flow: its definition and the HTTP actions it
calls, kept at upload in the form that passed validation, so the runner never validates.

    RunnableFlow(definition, actions)       actions: short name -> ZIS::Action::Http definition
    runnable_flows(flows, actions)          each validated flow with the actions it names
    from_document(resources, flow_name)     the same from a bundle document stored before
                                            these were kept, or None

A document stored before is read as it was stored, without validating it again: it passed
the checks of its day, and the engine runs what those let through (a Retry interval of 0
retries at once, a Fail without Error fails with States.Fail, a Map without ResultPath
writes at `$`); today's stricter checks would refuse it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

FLOW = "ZIS::Flow"
ACTION = "ZIS::Action::Http"
_ACTION_INFIX = ":action:"


@dataclass(frozen=True)
class RunnableFlow:
    definition: dict[str, Any]
    actions: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"definition": self.definition, "actions": self.actions}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> RunnableFlow:
        return cls(definition=value["definition"], actions=value["actions"])


def runnable_flows(
    flows: Mapping[str, dict[str, Any]], actions: Mapping[str, dict[str, Any]]
) -> dict[str, RunnableFlow]:
    """Each flow (short name -> definition) with the actions of `actions` it names."""
    return {name: RunnableFlow(definition, _named(definition, actions)) for name, definition in flows.items()}


def from_document(resources: Any, flow_name: str) -> RunnableFlow | None:
    """The flow called `flow_name` (its short name) of a stored bundle's resources, with
    the bundle's actions it names; None when the bundle has no such flow."""
    if not isinstance(resources, dict):
        return None
    flows: dict[str, dict[str, Any]] = {}
    actions: dict[str, dict[str, Any]] = {}
    for key, resource in resources.items():
        properties = resource.get("properties") if isinstance(resource, dict) else None
        if not isinstance(properties, dict) or not isinstance(properties.get("definition"), dict):
            continue
        name = str(properties.get("name", key))
        if resource.get("type") == FLOW:
            flows[name] = properties["definition"]
        elif resource.get("type") == ACTION:
            actions[name] = properties["definition"]
    definition = flows.get(flow_name)
    if definition is None or not isinstance(definition.get("States"), dict):
        return None
    return RunnableFlow(definition, _named(definition, actions))


def _named(definition: dict[str, Any], actions: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    named = {}
    for action_name in _action_names(definition):
        short = action_name.rpartition(_ACTION_INFIX)[2]
        if short in actions:
            named[short] = actions[short]
    return named


def _action_names(machine: dict[str, Any]) -> Iterator[str]:
    """Every ActionName of a machine and of its Maps' Iterators."""
    states = machine.get("States")
    for state in states.values() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        if isinstance(state.get("ActionName"), str) and _ACTION_INFIX in state["ActionName"]:
            yield state["ActionName"]
        if isinstance(state.get("Iterator"), dict):
            yield from _action_names(state["Iterator"])
