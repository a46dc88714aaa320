"""Bundle validation: the real-world and tutorial bundles pass; every bad bundle is
refused with the resource and JSON path of each problem."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookyard.errors import BadRequest
from hookyard.flows.bundle import BundleInvalid, JobSpec, Problem, validate_bundle
from tests.unit.flows.bundles import REAL_WORLD, REFERENCE, real_world_bundle, tutorial_bundle

FLOW = "$.resources.flow.properties.definition"
STATES = f"{FLOW}.States"


def test_the_real_world_bundle_copy_is_the_reference_unchanged() -> None:
    if not REFERENCE.exists():
        pytest.skip("the shared reference is not on this machine")
    assert real_world_bundle() == json.loads(REFERENCE.read_text())


@pytest.mark.parametrize("source", [REAL_WORLD, REFERENCE], ids=["copy", "shared reference"])
def test_the_real_world_bundle_validates_unchanged(source: Path) -> None:
    if not source.exists():
        pytest.skip("the shared reference is not on this machine")
    document = json.loads(source.read_text())
    pristine = copy.deepcopy(document)

    bundle = validate_bundle(document, "tsanet_connect")

    assert document == pristine
    assert bundle.name == "tsanet_connect"
    assert set(bundle.flows) == {"flow_handle_ping", "flow_field_action", "flow_forward_comment"}
    assert len(bundle.actions) == 12
    assert bundle.job_specs["jobspec_handle_ping"] == JobSpec(
        "jobspec_handle_ping", "tsanet", "collaboration_event", "zis:tsanet_connect:flow:flow_handle_ping"
    )
    assert bundle.flows["flow_handle_ping"] is document["resources"]["flow_handle_ping"]["properties"]["definition"]


def test_the_tutorial_bundle_validates() -> None:
    bundle = validate_bundle(tutorial_bundle(), "my_integration")

    assert bundle.name == "post_tickets_to_webhook"
    assert bundle.description == "Post ZD Ticket create events to webhook"
    assert list(bundle.flows) == ["post_tickets_to_webhook_flow"]
    assert list(bundle.actions) == ["post-to-webhook-site"]
    assert (
        bundle.job_specs["ticket_created_jobspec"].flow_name == "zis:my_integration:flow:post_tickets_to_webhook_flow"
    )


def test_the_tutorial_bundle_does_not_validate_for_another_integration() -> None:
    with pytest.raises(BundleInvalid) as caught:
        validate_bundle(tutorial_bundle(), "other_integration")
    assert {problem.resource for problem in caught.value.problems} == {
        "post_tickets_to_webhook_flow",
        "ticket_created_jobspec",
    }


# ------------------------------------------------------------------ the bad-bundle corpus


def base_bundle() -> dict[str, Any]:
    """A small valid bundle using every state type; the corpus breaks it one way each."""
    return {
        "zis_template_version": "2019-10-14",
        "name": "corpus",
        "description": "",
        "resources": {
            "flow": {
                "type": "ZIS::Flow",
                "properties": {
                    "name": "flow",
                    "definition": {
                        "StartAt": "Start",
                        "States": {
                            "Start": {
                                "Type": "Action",
                                "ActionName": "zis:my_integration:action:post",
                                "Parameters": {"id.$": "$.input.id"},
                                "ResultPath": "$.posted",
                                "Next": "Decide",
                                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broken"}],
                                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                            },
                            "Decide": {
                                "Type": "Choice",
                                "Choices": [{"Variable": "$.input.kind", "StringEquals": "many", "Next": "Loop"}],
                                "Default": "Done",
                            },
                            "Loop": {
                                "Type": "Map",
                                "ItemsPath": "$.input.items",
                                "ResultPath": "$.items",
                                "Next": "Pause",
                                "Iterator": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                            },
                            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Shape"},
                            "Shape": {
                                "Type": "Action",
                                "ActionName": "zis:common:transform:Jq",
                                "Parameters": {"expr": ".input", "data.$": "$"},
                                "Next": "Done",
                            },
                            "Done": {"Type": "Succeed", "Message": "done {{$.input.id}}"},
                            "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "{{$.Cause}}"},
                        },
                    },
                },
            },
            "post": {
                "type": "ZIS::Action::Http",
                "properties": {"name": "post", "definition": {"method": "POST", "url": "https://api.example/items"}},
            },
            "spec": {
                "type": "ZIS::JobSpec",
                "properties": {
                    "name": "spec",
                    "event_source": "support",
                    "event_type": "ticket.TicketCreated",
                    "flow_name": "zis:my_integration:flow:flow",
                },
            },
        },
    }


def states(bundle: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = bundle["resources"]["flow"]["properties"]["definition"]["States"]
    return result


def change(edit: Callable[[dict[str, Any]], None]) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        bundle = base_bundle()
        edit(bundle)
        return bundle

    return build


# (id, bundle, resource, path, part of the message)
CORPUS: list[tuple[str, Callable[[], Any], str | None, str, str]] = [
    ("bundle not an object", lambda: ["not", "a", "bundle"], None, "$", "JSON object"),
    (
        "wrong template version",
        change(lambda b: b.update(zis_template_version="2020-01-01")),
        None,
        "$.zis_template_version",
        "2019-10-14",
    ),
    (
        "missing template version",
        change(lambda b: b.pop("zis_template_version")),
        None,
        "$.zis_template_version",
        "missing",
    ),
    ("resources not an object", change(lambda b: b.update(resources=[])), None, "$.resources", "object"),
    (
        "unknown resource type",
        change(lambda b: b["resources"].update(cfg={"type": "ZIS::Config", "properties": {}})),
        "cfg",
        "$.resources.cfg.type",
        "unknown resource type",
    ),
    (
        "missing StartAt",
        change(lambda b: b["resources"]["flow"]["properties"]["definition"].pop("StartAt")),
        "flow",
        f"{FLOW}.StartAt",
        "StartAt is required",
    ),
    (
        "StartAt names a missing state",
        change(lambda b: b["resources"]["flow"]["properties"]["definition"].update(StartAt="Nowhere")),
        "flow",
        f"{FLOW}.StartAt",
        "does not exist: Nowhere",
    ),
    (
        "Next to a missing state",
        change(lambda b: states(b)["Pause"].update(Next="Gone")),
        "flow",
        f"{STATES}.Pause.Next",
        "does not exist: Gone",
    ),
    (
        "neither Next nor End",
        change(lambda b: states(b)["Pause"].pop("Next")),
        "flow",
        f"{STATES}.Pause",
        "needs Next or End",
    ),
    ("both Next and End", change(lambda b: states(b)["Pause"].update(End=True)), "flow", f"{STATES}.Pause", "not both"),
    (
        "End false",
        change(lambda b: states(b).update(Pause={"Type": "Wait", "Seconds": 1, "End": False})),
        "flow",
        f"{STATES}.Pause.End",
        "End must be true",
    ),
    (
        "Parallel state",
        change(lambda b: states(b).update(Pause={"Type": "Parallel", "Branches": [], "End": True})),
        "flow",
        f"{STATES}.Pause.Type",
        "Parallel states are not supported",
    ),
    (
        "Task state",
        change(lambda b: states(b).update(Pause={"Type": "Task", "Resource": "arn:x", "End": True})),
        "flow",
        f"{STATES}.Pause.Type",
        "Task states are not supported",
    ),
    (
        "intrinsic function in Parameters",
        change(lambda b: states(b)["Start"]["Parameters"].update({"msg.$": "States.Format('Hi {}', $.input.id)"})),
        "flow",
        f'{STATES}.Start.Parameters["msg.$"]',
        "intrinsic functions are not supported",
    ),
    (
        "unparseable JSONPath",
        change(lambda b: states(b)["Start"]["Parameters"].update({"id.$": "$.input[id"})),
        "flow",
        f'{STATES}.Start.Parameters["id.$"]',
        "not a valid JSONPath",
    ),
    (
        "ActionName of a missing action",
        change(lambda b: states(b)["Start"].update(ActionName="zis:my_integration:action:missing")),
        "flow",
        f"{STATES}.Start.ActionName",
        "does not exist in this bundle: zis:my_integration:action:missing",
    ),
    (
        "ActionName of another integration",
        change(lambda b: states(b)["Start"].update(ActionName="zis:someone_else:action:post")),
        "flow",
        f"{STATES}.Start.ActionName",
        "belongs to integration someone_else",
    ),
    (
        "unsupported built-in action",
        change(lambda b: states(b)["Start"].update(ActionName="zis:common:action:LoadLinks")),
        "flow",
        f"{STATES}.Start.ActionName",
        "is not supported",
    ),
    (
        "Jq program that does not compile",
        change(lambda b: states(b)["Shape"]["Parameters"].update(expr=".input |")),
        "flow",
        f"{STATES}.Shape.Parameters.expr",
        "does not compile",
    ),
    (
        "Jq without data",
        change(lambda b: states(b)["Shape"]["Parameters"].pop("data.$")),
        "flow",
        f"{STATES}.Shape.Parameters.data",
        "needs the parameter data",
    ),
    (
        "JobSpec flow_name of a missing flow",
        change(lambda b: b["resources"]["spec"]["properties"].update(flow_name="zis:my_integration:flow:missing")),
        "spec",
        "$.resources.spec.properties.flow_name",
        "does not exist in this bundle",
    ),
    (
        "JobSpec without event_type",
        change(lambda b: b["resources"]["spec"]["properties"].pop("event_type")),
        "spec",
        "$.resources.spec.properties.event_type",
        "required",
    ),
    (
        "Map without Iterator",
        change(lambda b: states(b)["Loop"].pop("Iterator")),
        "flow",
        f"{STATES}.Loop.Iterator",
        "Iterator is required",
    ),
    (
        "Map iterator with a Next outside the iterator",
        change(lambda b: states(b)["Loop"]["Iterator"]["States"].update(Item={"Type": "Pass", "Next": "Done"})),
        "flow",
        f"{STATES}.Loop.Iterator.States.Item.Next",
        "does not exist: Done",
    ),
    (
        "Wait without Seconds",
        change(lambda b: states(b)["Pause"].pop("Seconds")),
        "flow",
        f"{STATES}.Pause.Seconds",
        "Seconds is required",
    ),
    (
        "Wait with SecondsPath",
        change(lambda b: states(b)["Pause"].update(SecondsPath="$.input.delay")),
        "flow",
        f"{STATES}.Pause.SecondsPath",
        "Seconds only",
    ),
    (
        "Wait with Timestamp",
        change(lambda b: states(b)["Pause"].update(Timestamp="2024-01-01T00:00:00Z")),
        "flow",
        f"{STATES}.Pause.Timestamp",
        "Seconds only",
    ),
    (
        "Wait of zero seconds",
        change(lambda b: states(b)["Pause"].update(Seconds=0)),
        "flow",
        f"{STATES}.Pause.Seconds",
        "greater than 0",
    ),
    (
        "Choice without Choices",
        change(lambda b: states(b)["Decide"].pop("Choices")),
        "flow",
        f"{STATES}.Decide.Choices",
        "Choices is required",
    ),
    (
        "unknown Choice operator",
        change(lambda b: states(b)["Decide"]["Choices"][0].update(StringMatches="m*")),
        "flow",
        f"{STATES}.Decide.Choices[0].StringMatches",
        "unknown Choice operator StringMatches",
    ),
    (
        "Choice Default to a missing state",
        change(lambda b: states(b)["Decide"].update(Default="Gone")),
        "flow",
        f"{STATES}.Decide.Default",
        "does not exist",
    ),
    (
        "Catch without ErrorEquals",
        change(lambda b: states(b)["Start"]["Catch"][0].pop("ErrorEquals")),
        "flow",
        f"{STATES}.Start.Catch[0].ErrorEquals",
        "ErrorEquals is required",
    ),
    (
        "Catch of a specific error",
        change(lambda b: states(b)["Start"]["Catch"][0].update(ErrorEquals=["X.Y"])),
        "flow",
        f"{STATES}.Start.Catch[0].ErrorEquals",
        "States.ALL",
    ),
    (
        "Retry with a backoff below one",
        change(lambda b: states(b)["Start"]["Retry"][0].update(BackoffRate=0.5)),
        "flow",
        f"{STATES}.Start.Retry[0].BackoffRate",
        "1.0 or more",
    ),
    (
        "Retry with a zero interval",
        change(lambda b: states(b)["Start"]["Retry"][0].update(IntervalSeconds=0)),
        "flow",
        f"{STATES}.Start.Retry[0].IntervalSeconds",
        "IntervalSeconds must be a whole number of seconds from 1",
    ),
    (
        "Retry with a negative interval",
        change(lambda b: states(b)["Start"]["Retry"][0].update(IntervalSeconds=-1)),
        "flow",
        f"{STATES}.Start.Retry[0].IntervalSeconds",
        "IntervalSeconds must be a whole number of seconds from 1",
    ),
    (
        "Retry with a fractional interval",
        change(lambda b: states(b)["Start"]["Retry"][0].update(IntervalSeconds=0.5)),
        "flow",
        f"{STATES}.Start.Retry[0].IntervalSeconds",
        "IntervalSeconds must be a whole number of seconds from 1",
    ),
    (
        "Retry with an interval past the States Language maximum",
        change(lambda b: states(b)["Start"]["Retry"][0].update(IntervalSeconds=100_000_000)),
        "flow",
        f"{STATES}.Start.Retry[0].IntervalSeconds",
        "to 99999999",
    ),
    (
        "Retry with negative attempts",
        change(lambda b: states(b)["Start"]["Retry"][0].update(MaxAttempts=-1)),
        "flow",
        f"{STATES}.Start.Retry[0].MaxAttempts",
        "MaxAttempts must be a whole number from 0 to 99999999",
    ),
    (
        "Retry with attempts past the States Language maximum",
        change(lambda b: states(b)["Start"]["Retry"][0].update(MaxAttempts=100_000_000)),
        "flow",
        f"{STATES}.Start.Retry[0].MaxAttempts",
        "MaxAttempts must be a whole number from 0 to 99999999",
    ),
    (
        "Retry with a NaN backoff",  # Python's json (and so the API) reads NaN
        change(lambda b: states(b)["Start"]["Retry"][0].update(BackoffRate=float("nan"))),
        "flow",
        f"{STATES}.Start.Retry[0].BackoffRate",
        "1.0 or more",
    ),
    (
        "Retry with an infinite backoff",
        change(lambda b: states(b)["Start"]["Retry"][0].update(BackoffRate=float("inf"))),
        "flow",
        f"{STATES}.Start.Retry[0].BackoffRate",
        "1.0 or more",
    ),
    (
        "Retry with a null interval",  # the engine would have failed with a TypeError at run time
        change(lambda b: states(b)["Start"]["Retry"][0].update(IntervalSeconds=None)),
        "flow",
        f"{STATES}.Start.Retry[0].IntervalSeconds",
        "IntervalSeconds must be a whole number of seconds from 1",
    ),
    (
        "Retry with null attempts",
        change(lambda b: states(b)["Start"]["Retry"][0].update(MaxAttempts=None)),
        "flow",
        f"{STATES}.Start.Retry[0].MaxAttempts",
        "MaxAttempts must be a whole number",
    ),
    (
        "Retry with a null backoff",
        change(lambda b: states(b)["Start"]["Retry"][0].update(BackoffRate=None)),
        "flow",
        f"{STATES}.Start.Retry[0].BackoffRate",
        "1.0 or more",
    ),
    (
        "Wait of NaN seconds",
        change(lambda b: states(b)["Pause"].update(Seconds=float("nan"))),
        "flow",
        f"{STATES}.Pause.Seconds",
        "greater than 0",
    ),
    (
        "Fail without Error",
        change(lambda b: states(b)["Broken"].pop("Error")),
        "flow",
        f"{STATES}.Broken.Error",
        "Error is required",
    ),
    (
        "Fail without Cause",
        change(lambda b: states(b)["Broken"].pop("Cause")),
        "flow",
        f"{STATES}.Broken.Cause",
        "Cause is required",
    ),
    (
        "Fail with a Cause that is not a string",
        change(lambda b: states(b)["Broken"].update(Cause={"why": "no"})),
        "flow",
        f"{STATES}.Broken.Cause",
        "Cause must be a string",
    ),
    (
        "Map without ResultPath",
        change(lambda b: states(b)["Loop"].pop("ResultPath")),
        "flow",
        f"{STATES}.Loop.ResultPath",
        "ResultPath is required",
    ),
    (
        "Map with a null ResultPath",
        change(lambda b: states(b)["Loop"].update(ResultPath=None)),
        "flow",
        f"{STATES}.Loop.ResultPath",
        "ResultPath is required",
    ),
    (
        "ResultPath with a wildcard",
        change(lambda b: states(b)["Start"].update(ResultPath="$.a[*]")),
        "flow",
        f"{STATES}.Start.ResultPath",
        "plain reference path",
    ),
    (
        "InputPath",
        change(lambda b: states(b)["Start"].update(InputPath="$.input")),
        "flow",
        f"{STATES}.Start.InputPath",
        "InputPath is not supported",
    ),
    (
        "Next on a Succeed state",
        change(lambda b: states(b)["Done"].update(Next="Start")),
        "flow",
        f"{STATES}.Done.Next",
        "take no Next",
    ),
    (
        "placeholder with a bad path",
        change(lambda b: states(b)["Done"].update(Message="done {{$.input..}}")),
        "flow",
        f"{STATES}.Done.Message",
        "placeholder",
    ),
    (
        "action without url",
        change(lambda b: b["resources"]["post"]["properties"]["definition"].pop("url")),
        "post",
        "$.resources.post.properties.definition",
        "needs a url",
    ),
    (
        "action with an empty url",
        change(lambda b: b["resources"]["post"]["properties"]["definition"].update(url="")),
        "post",
        "$.resources.post.properties.definition.url",
        "must not be empty",
    ),
    (
        "duplicate action names",
        change(lambda b: b["resources"].update(post2=copy.deepcopy(b["resources"]["post"]))),
        "post2",
        "$.resources.post2.properties.name",
        "also used by post",
    ),
    (
        "name with a space",
        change(lambda b: b["resources"]["post"]["properties"].update(name="my action")),
        "post",
        "$.resources.post.properties.name",
        "letters, digits",
    ),
    (
        "flow without definition",
        change(lambda b: b["resources"]["flow"]["properties"].pop("definition")),
        "flow",
        "$.resources.flow.properties.definition",
        "definition is required",
    ),
]


@pytest.mark.parametrize(
    ("bundle", "resource", "path", "message"), [case[1:] for case in CORPUS], ids=[case[0] for case in CORPUS]
)
def test_a_bad_bundle_is_refused_naming_the_resource_and_path(
    bundle: Callable[[], Any], resource: str | None, path: str, message: str
) -> None:
    with pytest.raises(BundleInvalid) as caught:
        validate_bundle(bundle(), "my_integration")

    matching = [p for p in caught.value.problems if p.path == path and message in p.message]
    assert matching, caught.value.problems
    assert all(p.resource == resource for p in matching)


def test_the_corpus_base_bundle_is_valid() -> None:
    assert validate_bundle(base_bundle(), "my_integration").name == "corpus"


def test_every_problem_is_reported_not_just_the_first() -> None:
    # Given a bundle broken in three resources at once
    bundle = base_bundle()
    states(bundle)["Pause"].pop("Seconds")
    bundle["resources"]["post"]["properties"]["definition"]["method"] = "FETCH"
    bundle["resources"]["spec"]["properties"]["flow_name"] = "zis:my_integration:flow:nope"

    # When it is validated
    with pytest.raises(BundleInvalid) as caught:
        validate_bundle(bundle, "my_integration")

    # Then each problem is listed, with its resource, in the 400's details
    assert [(p.resource, p.path) for p in caught.value.problems] == [
        ("flow", f"{STATES}.Pause.Seconds"),
        ("post", "$.resources.post.properties.definition.method"),
        ("spec", "$.resources.spec.properties.flow_name"),
    ]
    assert len(caught.value.details()) == 3
    assert caught.value.details()[0].startswith(f"{STATES}.Pause.Seconds: ")


def test_bundle_invalid_is_a_400_whose_detail_summarises_the_problems() -> None:
    problems = [Problem("r", f"$.resources.r.x{n}", "bad") for n in range(7)]
    error = BundleInvalid(problems)

    assert isinstance(error, BadRequest)
    assert error.status == 400
    assert error.detail.startswith("invalid bundle (7 problems): $.resources.r.x0: bad;")
    assert error.detail.endswith("; and 2 more")


def test_state_names_with_dots_appear_in_brackets_in_problem_paths() -> None:
    bundle = tutorial_bundle()
    state = bundle["resources"]["post_tickets_to_webhook_flow"]["properties"]["definition"]["States"]
    state["Zendesk.TicketCreated"]["Next"] = "Nowhere"

    with pytest.raises(BundleInvalid) as caught:
        validate_bundle(bundle, "my_integration")

    assert caught.value.problems[0].path == (
        '$.resources.post_tickets_to_webhook_flow.properties.definition.States["Zendesk.TicketCreated"]'
    )


def test_a_resource_without_a_name_is_known_by_its_key() -> None:
    bundle = base_bundle()
    del bundle["resources"]["post"]["properties"]["name"]
    assert "post" in validate_bundle(bundle, "my_integration").actions


# ------------------------------------------------------------------ robustness

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    "",
    "x",
    "$",
    "$..",
    "{{$.a}}",
    [],
    [1],
    ["States.ALL"],
    {},
    {"a": 1},
    {"Type": "Pass"},
    [{}],
    "zis:my_integration:action:post",
]


def positions(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += positions(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += positions(value, (*path, index))
    return found


def damaged(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """`document` with one to three values replaced by odd ones, or removed."""
    document = copy.deepcopy(document)
    for _ in range(rng.randint(1, 3)):
        where = rng.choice(positions(document))
        parent: Any = document
        for step in where[:-1]:
            if not isinstance(parent, dict | list):
                break
            parent = parent[step] if isinstance(parent, list) or step in parent else None
        if isinstance(parent, dict) and rng.random() < 0.2:
            parent.pop(where[-1], None)
        elif isinstance(parent, dict) or (isinstance(parent, list) and where[-1] < len(parent)):
            parent[where[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
    return document


@pytest.mark.parametrize(
    ("document", "integration"),
    [(base_bundle, "my_integration"), (real_world_bundle, "tsanet_connect"), (tutorial_bundle, "my_integration")],
    ids=["corpus base", "real world", "tutorial"],
)
def test_a_damaged_bundle_is_valid_or_refused_but_never_crashes_validation(
    document: Callable[[], dict[str, Any]], integration: str
) -> None:
    rng = random.Random(20260102)  # noqa: S311 - reproducible test data, not a secret
    refused_without_problems = 0
    for _ in range(400):
        try:
            validate_bundle(damaged(document(), rng), integration)
        except BundleInvalid as refused:
            refused_without_problems += not refused.problems
    assert refused_without_problems == 0
