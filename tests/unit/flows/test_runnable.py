"""Flows as the runner runs them: made from a validated bundle at upload, or read from a
bundle document stored before (without validating it again)."""

from __future__ import annotations

from typing import Any

from hookyard.flows.bundle import validate_bundle
from hookyard.flows.runnable import RunnableFlow, from_document, runnable_flows
from tests.unit.flows.bundles import real_world_bundle


def test_each_flow_of_a_bundle_keeps_the_actions_it_calls_and_no_others() -> None:
    # Given the production bundle: 3 flows over 12 actions, some called only inside a Map
    bundle = validate_bundle(real_world_bundle(), "tsanet_connect")

    # When it is made runnable
    flows = runnable_flows(bundle.flows, bundle.actions)

    # Then each flow is its definition, with exactly the actions its states name
    assert set(flows) == {"flow_handle_ping", "flow_field_action", "flow_forward_comment"}
    for name, flow in flows.items():
        assert flow.definition is bundle.flows[name]
        assert set(flow.actions) == called(flow.definition)
        assert all(flow.actions[a] is bundle.actions[a] for a in flow.actions)
    assert sum(len(f.actions) for f in flows.values()) < 3 * len(bundle.actions)


def called(machine: dict[str, Any]) -> set[str]:
    names = set()
    for state in machine["States"].values():
        if str(state.get("ActionName", "")).startswith("zis:tsanet_connect:action:"):
            names.add(state["ActionName"].rsplit(":", 1)[1])
        if "Iterator" in state:
            names |= called(state["Iterator"])
    return names


def test_a_runnable_flow_round_trips_through_its_json() -> None:
    flow = RunnableFlow({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}, {"post": {"method": "POST"}})
    assert RunnableFlow.from_json(flow.to_json()) == flow


def test_a_stored_document_gives_its_flow_without_validation() -> None:
    # Given resources as an earlier version let them through: a Fail without Error and
    # Cause, a Retry interval of 0; names from `properties.name`, else the resource's key
    resources = {
        "the_flow": {
            "type": "ZIS::Flow",
            "properties": {
                "definition": {
                    "StartAt": "Call",
                    "States": {
                        "Call": {
                            "Type": "Action",
                            "ActionName": "zis:old:action:renamed",
                            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 0}],
                            "Next": "Stop",
                        },
                        "Stop": {"Type": "Fail"},
                    },
                }
            },
        },
        "action_key": {"type": "ZIS::Action::Http", "properties": {"name": "renamed", "definition": {"url": "u"}}},
        "unused": {"type": "ZIS::Action::Http", "properties": {"definition": {"url": "v"}}},
        "spec": {"type": "ZIS::JobSpec", "properties": {"name": "spec", "flow_name": "zis:old:flow:the_flow"}},
    }

    flow = from_document(resources, "the_flow")

    assert flow is not None
    assert flow.definition is resources["the_flow"]["properties"]["definition"]
    assert flow.actions == {"renamed": {"url": "u"}}


def test_a_stored_document_without_the_flow_or_malformed_gives_none() -> None:
    assert from_document({"x": {"type": "ZIS::Flow", "properties": {"definition": {"StartAt": "A"}}}}, "x") is None
    assert from_document({"x": "not a resource", "y": {"type": "ZIS::Flow"}}, "x") is None
    assert from_document({}, "x") is None
    assert from_document(["not", "resources"], "x") is None
