"""The engine, one state type at a time: data in, data out, step records, continuations."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from hookyard.flows.engine import (
    ActionError,
    Failed,
    FlowResult,
    Limits,
    StepRecord,
    Succeeded,
    Waiting,
    run_flow,
)
from tests.unit.flows.fakes import FakeClock, ScriptedExecutor, fixed_now, flow_input, machine

ACTION = "zis:my_integration:action:do"


def run(
    definition: dict[str, Any],
    data: Any = None,
    executor: Any = None,
    **options: Any,
) -> FlowResult:
    options.setdefault("clock", FakeClock())
    options.setdefault("now", fixed_now)
    return run_flow(definition, flow_input({}) if data is None else data, executor or ScriptedExecutor(), **options)


def succeeded(result: FlowResult) -> Succeeded:
    assert isinstance(result.outcome, Succeeded), result.outcome
    return result.outcome


# ------------------------------------------------------------------ Pass


def test_pass_without_result_passes_its_input_on() -> None:
    data = flow_input({"a": 1})
    result = run(machine(("P", {"Type": "Pass", "End": True})), data)
    assert succeeded(result).output == data


def test_pass_result_replaces_the_data_by_default_and_goes_to_result_path_when_given() -> None:
    replaced = run(machine(("P", {"Type": "Pass", "Result": {"x": 1}, "End": True})))
    placed = run(machine(("P", {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.mock", "End": True})))

    assert succeeded(replaced).output == {"x": 1}
    assert succeeded(placed).output == {**flow_input({}), "mock": {"x": 1}}


def test_pass_with_parameters_builds_its_result_from_the_data() -> None:
    definition = machine(
        (
            "P",
            {"Type": "Pass", "Parameters": {"id.$": "$.input.id", "kind": "ticket"}, "ResultPath": "$.p", "End": True},
        )
    )
    assert succeeded(run(definition, flow_input({"id": 5}))).output["p"] == {"id": 5, "kind": "ticket"}


def test_a_state_never_changes_the_result_an_earlier_state_produced() -> None:
    # Given a Pass whose literal Result is later written into
    definition = machine(
        ("Mock", {"Type": "Pass", "Result": {"inner": {"v": 1}}, "ResultPath": "$.mock", "Next": "Change"}),
        ("Change", {"Type": "Pass", "Result": 2, "ResultPath": "$.mock.inner.v", "End": True}),
    )
    pristine = copy.deepcopy(definition)
    data = flow_input({"keep": True})

    # When the flow runs
    result = run(definition, data)

    # Then the final data has the change, but the definition and the input are untouched
    assert succeeded(result).output["mock"] == {"inner": {"v": 2}}
    assert definition == pristine
    assert data == flow_input({"keep": True})


# ------------------------------------------------------------------ Action


def test_action_gets_its_resolved_parameters_and_its_result_goes_to_result_path() -> None:
    executor = ScriptedExecutor({ACTION: {"ticket": {"id": 99}}})
    definition = machine(
        (
            "Create",
            {
                "Type": "Action",
                "ActionName": ACTION,
                "Parameters": {"subject.$": "$.input.subject"},
                "ResultPath": "$.created",
                "End": True,
            },
        )
    )

    result = run(definition, flow_input({"subject": "Hi"}), executor)

    assert executor.calls == [("1:Create", ACTION, {"subject": "Hi"})]
    assert succeeded(result).output["created"] == {"ticket": {"id": 99}}
    assert succeeded(result).output["input"] == {"subject": "Hi"}


def test_action_without_result_path_replaces_the_whole_data() -> None:
    executor = ScriptedExecutor({ACTION: {"only": "this"}})
    result = run(machine(("A", {"Type": "Action", "ActionName": ACTION, "End": True})), executor=executor)
    assert succeeded(result).output == {"only": "this"}


def test_action_without_parameters_gets_the_whole_state_data() -> None:
    executor = ScriptedExecutor({ACTION: None})
    data = flow_input({"x": 1})
    run(machine(("A", {"Type": "Action", "ActionName": ACTION, "ResultPath": None, "End": True})), data, executor)
    assert executor.calls[0][2] == data


def test_action_parameters_with_a_missing_path_fail_the_flow_with_states_runtime() -> None:
    executor = ScriptedExecutor({ACTION: {}})
    definition = machine(
        ("A", {"Type": "Action", "ActionName": ACTION, "Parameters": {"x.$": "$.input.nope"}, "End": True})
    )

    result = run(definition, executor=executor)

    assert result.outcome == Failed("States.Runtime", "$.input.nope was not found in the data")
    assert executor.calls == []


# ------------------------------------------------------------------ Choice


CHOOSER = machine(
    (
        "Pick",
        {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.input.priority", "StringEquals": "urgent", "Next": "Urgent"},
                {"Variable": "$.input.priority", "StringEquals": "high", "Next": "High"},
                {"Variable": "$.input.priority", "StringEquals": "urgent", "Next": "High"},
            ],
            "Default": "Normal",
        },
    ),
    ("Urgent", {"Type": "Succeed", "Message": "urgent"}),
    ("High", {"Type": "Succeed", "Message": "high"}),
    ("Normal", {"Type": "Succeed", "Message": "normal"}),
)


@pytest.mark.parametrize(("priority", "message"), [("urgent", "urgent"), ("high", "high"), ("low", "normal")])
def test_choice_takes_the_first_matching_rule_in_order_else_default(priority: str, message: str) -> None:
    result = run(CHOOSER, flow_input({"priority": priority}))
    assert succeeded(result).message == message


def test_choice_without_a_match_or_default_fails_the_flow() -> None:
    definition = machine(
        ("Pick", {"Type": "Choice", "Choices": [{"Variable": "$.input.x", "IsPresent": True, "Next": "Done"}]}),
        ("Done", {"Type": "Succeed"}),
    )
    result = run(definition)
    assert isinstance(result.outcome, Failed)
    assert result.outcome.error == "States.NoChoiceMatched"


# ------------------------------------------------------------------ Succeed and Fail


def test_succeed_renders_its_message_and_leaves_the_data_as_it_is() -> None:
    data = flow_input({"id": 3})
    result = run(machine(("Done", {"Type": "Succeed", "Message": "Ticket {{$.input.id}} done"})), data)
    assert succeeded(result) == Succeeded(data, "Ticket 3 done")


def test_succeed_renders_placeholders_of_any_value_and_leaves_a_missing_one_as_written() -> None:
    data = flow_input({"id": 3, "tags": ["a", "b"], "name": "Ada"})
    message = "{{$.input.name}}: #{{$.input.id}} {{$.input.tags}} {{$.input.nope}}"

    result = run(machine(("Done", {"Type": "Succeed", "Message": message})), data)

    assert succeeded(result).message == 'Ada: #3 ["a","b"] {{$.input.nope}}'


def test_a_succeed_without_a_message_says_execution_successful() -> None:
    result = run(machine(("Done", {"Type": "Succeed"})))
    assert succeeded(result).message == "Execution Successful"


def test_a_flow_that_ends_with_end_true_says_execution_successful() -> None:
    result = run(machine(("P", {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.x", "End": True})))
    assert succeeded(result).message == "Execution Successful"


def test_a_succeed_inside_a_map_ends_its_iteration_not_the_flow_and_gives_no_flow_message() -> None:
    # Given a Map whose iteration ends on a Succeed with a message, then a Pass after the Map
    iteration = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed", "Message": "item {{$.n}}"}}}
    definition = machine(
        (
            "Each",
            {
                "Type": "Map",
                "ItemsPath": "$.input.items",
                "Iterator": iteration,
                "ResultPath": "$.out",
                "Next": "After",
            },
        ),
        ("After", {"Type": "Pass", "Result": True, "ResultPath": "$.after", "End": True}),
    )

    result = run(definition, flow_input({"items": [{"n": 1}, {"n": 2}]}))

    # Then every iteration ran, the flow went on, and its message is the default
    outcome = succeeded(result)
    assert outcome.output["out"] == [{"n": 1}, {"n": 2}]
    assert outcome.output["after"] is True
    assert outcome.message == "Execution Successful"


def test_fail_ends_the_flow_with_its_rendered_error_and_cause() -> None:
    definition = machine(
        ("Oops", {"Type": "Fail", "Error": "Slack.Failed", "Cause": "channel {{$.input.channel}}: {{$.input.nope}}"})
    )
    result = run(definition, flow_input({"channel": "#ops"}))
    assert result.outcome == Failed("Slack.Failed", "channel #ops: {{$.input.nope}}")


# ------------------------------------------------------------------ Map


ITERATION = {
    "StartAt": "Notify",
    "States": {
        "Notify": {
            "Type": "Action",
            "ActionName": ACTION,
            "Parameters": {"name.$": "$.name", "all.$": "$"},
            "End": True,
        }
    },
}


def mapper(**extra: Any) -> dict[str, Any]:
    return machine(
        (
            "NotifyAll",
            {
                "Type": "Map",
                "ItemsPath": "$.input.notify",
                "Iterator": ITERATION,
                "ResultPath": "$.notified",
                "End": True,
                **extra,
            },
        )
    )


def test_map_runs_its_iterator_once_per_element_in_order_and_collects_the_results() -> None:
    executor = ScriptedExecutor({ACTION: lambda parameters: f"sent to {parameters['name']}"})
    data = flow_input({"notify": [{"name": "John"}, {"name": "Jane"}], "secret": "not for iterations"})

    result = run(mapper(), data, executor)

    assert succeeded(result).output["notified"] == ["sent to John", "sent to Jane"]
    # Each iteration sees only its element, not the flow's data.
    assert [parameters["all"] for _, _, parameters in executor.calls] == [{"name": "John"}, {"name": "Jane"}]
    assert executor.keys == ["2:NotifyAll[0]/Notify", "3:NotifyAll[1]/Notify"]


def test_map_results_go_to_its_result_path_and_the_rest_of_the_data_stays() -> None:
    executor = ScriptedExecutor({ACTION: lambda parameters: {"sent": parameters["name"]}})
    data = flow_input({"notify": [{"name": "John"}], "secret": "kept"})

    result = run(mapper(), data, executor)

    assert succeeded(result).output == {**data, "notified": [{"sent": "John"}]}


def test_map_over_an_empty_array_gives_an_empty_result() -> None:
    result = run(mapper(), flow_input({"notify": []}))
    assert succeeded(result).output["notified"] == []


def test_map_over_more_than_100_items_fails_before_any_iteration() -> None:
    executor = ScriptedExecutor({ACTION: "ok"})
    result = run(mapper(), flow_input({"notify": [{"name": str(n)} for n in range(101)]}), executor)
    assert isinstance(result.outcome, Failed)
    assert "101 items" in result.outcome.cause
    assert executor.calls == []


def test_map_over_exactly_100_items_runs() -> None:
    executor = ScriptedExecutor({ACTION: "ok"})
    result = run(
        mapper(),
        flow_input({"notify": [{"name": str(n)} for n in range(100)]}),
        executor,
        limits=Limits(max_transitions=1000),
    )
    assert len(succeeded(result).output["notified"]) == 100


@pytest.mark.parametrize("items", [[{"name": "a"}, "b"], [1, 2], "not an array"])
def test_map_items_must_be_an_array_of_objects(items: Any) -> None:
    result = run(mapper(), flow_input({"notify": items}), ScriptedExecutor({ACTION: "ok"}))
    assert isinstance(result.outcome, Failed)
    assert result.outcome.error == "States.Runtime"


def test_a_failed_iteration_fails_the_map_and_a_map_catch_handles_it() -> None:
    executor = ScriptedExecutor({ACTION: [ActionError("States.Runtime", "boom", status=400)]})
    definition = machine(
        (
            "NotifyAll",
            {
                "Type": "Map",
                "ItemsPath": "$.input.notify",
                "Iterator": ITERATION,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover", "ResultPath": "$.err"}],
                "End": True,
            },
        ),
        ("Recover", {"Type": "Succeed"}),
    )

    result = run(definition, flow_input({"notify": [{"name": "a"}]}), executor)

    assert succeeded(result).output["err"] == {"Error": "States.Runtime", "Cause": "boom"}


# ------------------------------------------------------------------ Wait


WAITER = machine(
    (
        "First",
        {"Type": "Action", "ActionName": ACTION, "Parameters": {"n": 1}, "ResultPath": "$.first", "Next": "Pause"},
    ),
    ("Pause", {"Type": "Wait", "Seconds": 30, "Next": "Second"}),
    ("Second", {"Type": "Action", "ActionName": ACTION, "Parameters": {"n": 2}, "ResultPath": "$.second", "End": True}),
)


def echo(parameters: Any) -> Any:
    return {"got": parameters["n"]}


def test_wait_returns_a_continuation_and_resuming_it_finishes_like_a_run_without_waiting() -> None:
    # Given the same flow with the Wait taken out, for reference
    no_wait = copy.deepcopy(WAITER)
    no_wait["States"]["Pause"] = {"Type": "Pass", "Next": "Second"}
    reference = succeeded(run(no_wait, executor=ScriptedExecutor({ACTION: echo}))).output

    # When the flow runs, it stops at the Wait with a JSON-serialisable checkpoint
    executor = ScriptedExecutor({ACTION: echo})
    first = run(WAITER, executor=executor)
    assert isinstance(first.outcome, Waiting)
    assert first.outcome.seconds == 30
    checkpoint = json.loads(json.dumps(first.outcome.checkpoint))
    assert executor.keys == ["1:First"]

    # And resuming from the checkpoint runs only what is left
    second = run(WAITER, executor=executor, checkpoint=checkpoint)

    # Then the output is what an uninterrupted run gives
    assert succeeded(second).output == reference
    assert executor.keys == ["1:First", "3:Second"]


def test_a_wait_as_the_last_state_resumes_to_the_end() -> None:
    definition = machine(("Pause", {"Type": "Wait", "Seconds": 5, "End": True}))
    data = flow_input({"x": 1})
    waiting = run(definition, data).outcome
    assert isinstance(waiting, Waiting)
    assert succeeded(run(definition, data, checkpoint=waiting.checkpoint)).output == data


def test_a_wait_inside_a_map_iteration_resumes_in_that_iteration() -> None:
    # Given a Map whose iterations call, wait, and call again
    iteration = {
        "StartAt": "Before",
        "States": {
            "Before": {
                "Type": "Action",
                "ActionName": ACTION,
                "Parameters": {"n.$": "$.n"},
                "ResultPath": "$.before",
                "Next": "Pause",
            },
            "Pause": {"Type": "Wait", "Seconds": 2, "Next": "After"},
            "After": {"Type": "Pass", "Parameters": {"n.$": "$.n", "before.$": "$.before"}, "End": True},
        },
    }
    definition = machine(
        (
            "Each",
            {"Type": "Map", "ItemsPath": "$.input.items", "Iterator": iteration, "ResultPath": "$.out", "End": True},
        )
    )
    executor = ScriptedExecutor({ACTION: echo})
    data = flow_input({"items": [{"n": 1}, {"n": 2}]})

    # When it runs, waiting once per iteration
    outcomes = [run(definition, data, executor).outcome]
    while isinstance(outcomes[-1], Waiting):
        checkpoint = json.loads(json.dumps(outcomes[-1].checkpoint))
        outcomes.append(run(definition, data, executor, checkpoint=checkpoint).outcome)

    # Then it waited twice and ends with every iteration's result, each action called once
    assert [type(o).__name__ for o in outcomes] == ["Waiting", "Waiting", "Succeeded"]
    final = outcomes[-1]
    assert isinstance(final, Succeeded)
    assert final.output["out"] == [{"n": 1, "before": {"got": 1}}, {"n": 2, "before": {"got": 2}}]
    assert executor.keys == ["2:Each[0]/Before", "5:Each[1]/Before"]


# ------------------------------------------------------------------ step records


def test_every_state_run_is_recorded_with_its_key_input_output_and_times() -> None:
    seen: list[StepRecord] = []
    executor = ScriptedExecutor({ACTION: {"ok": True}})
    definition = machine(
        (
            "Call",
            {"Type": "Action", "ActionName": ACTION, "Parameters": {"a": 1}, "ResultPath": "$.r", "Next": "Check"},
        ),
        ("Check", {"Type": "Choice", "Choices": [{"Variable": "$.r.ok", "BooleanEquals": True, "Next": "Done"}]}),
        ("Done", {"Type": "Succeed", "Message": "fine"}),
    )

    result = run(definition, executor=executor, on_step=seen.append)

    assert [(s.key, s.name, s.type, s.input, s.output, s.error) for s in result.steps] == [
        ("1:Call", "Call", "Action", {"a": 1}, {"ok": True}, None),
        ("2:Check", "Check", "Choice", None, {"Next": "Done"}, None),
        ("3:Done", "Done", "Succeed", None, "fine", None),
    ]
    assert seen == result.steps
    assert all(s.started_at == fixed_now() and s.ended_at == fixed_now() for s in result.steps)


def test_large_step_inputs_and_outputs_are_recorded_whole() -> None:
    # (the store decides what of them to keep: hookyard.dal.activity cuts them once)
    executor = ScriptedExecutor({ACTION: {"blob": "x" * 5000}})
    definition = machine(("Call", {"Type": "Action", "ActionName": ACTION, "Parameters": {"a": 1}, "End": True}))

    result = run(definition, executor=executor)

    assert result.steps[0].output == {"blob": "x" * 5000}
    assert result.steps[0].input == {"a": 1}
    assert succeeded(result).output == {"blob": "x" * 5000}


def test_a_failed_step_records_its_error() -> None:
    executor = ScriptedExecutor(
        {ACTION: ActionError("States.Runtime", "external action failed due to status code: 404", status=404)}
    )
    result = run(machine(("Call", {"Type": "Action", "ActionName": ACTION, "End": True})), executor=executor)
    assert result.steps[0].error == "States.Runtime: external action failed due to status code: 404"


def test_nested_maps_wait_and_resume_at_the_innermost_position() -> None:
    # Given a Map of Maps whose innermost iterations call an action and then wait
    inner = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Action",
                "ActionName": ACTION,
                "Parameters": {"n.$": "$.n"},
                "ResultPath": "$.r",
                "Next": "Pause",
            },
            "Pause": {"Type": "Wait", "Seconds": 1, "End": True},
        },
    }
    outer = {
        "StartAt": "Inner",
        "States": {
            "Inner": {"Type": "Map", "ItemsPath": "$.ns", "Iterator": inner, "ResultPath": "$.out", "End": True}
        },
    }
    definition = machine(
        ("Outer", {"Type": "Map", "ItemsPath": "$.input.groups", "Iterator": outer, "ResultPath": "$.all", "End": True})
    )
    executor = ScriptedExecutor({ACTION: echo})
    data = flow_input({"groups": [{"ns": [{"n": 1}, {"n": 2}]}, {"ns": [{"n": 3}]}]})

    # When it runs to the end through its continuations
    outcome = run(definition, data, executor).outcome
    waits = 0
    while isinstance(outcome, Waiting):
        waits += 1
        outcome = run(definition, data, executor, checkpoint=json.loads(json.dumps(outcome.checkpoint))).outcome

    # Then every innermost iteration ran once, keyed by its nested position
    assert waits == 3
    assert isinstance(outcome, Succeeded)
    assert outcome.output["all"] == [
        {"ns": [{"n": 1}, {"n": 2}], "out": [{"n": 1, "r": {"got": 1}}, {"n": 2, "r": {"got": 2}}]},
        {"ns": [{"n": 3}], "out": [{"n": 3, "r": {"got": 3}}]},
    ]
    assert executor.keys == ["3:Outer[0]/Inner[0]/Call", "5:Outer[0]/Inner[1]/Call", "8:Outer[1]/Inner[0]/Call"]
