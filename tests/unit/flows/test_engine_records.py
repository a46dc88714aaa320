"""Step records: one per state run, the values as the state had them, given to on_step as
each step ends, wall-clock times to the millisecond."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime
from typing import Any

import pytest

from hookyard import clock as wall_clock
from hookyard.flows.engine import ActionError, Failed, FlowResult, StepRecord, Succeeded, Waiting, run_flow
from tests.unit.flows.fakes import FakeClock, ScriptedExecutor, fixed_now, flow_input, machine

ACTION = "zis:my_integration:action:do"


def flows() -> list[tuple[dict[str, Any], Any]]:
    """Flows with every kind of record: Map iterations, retries, a Catch, a failed
    Choice, a large result, a Wait, an unhandled failure."""
    each = machine(
        (
            "Call",
            {"Type": "Action", "ActionName": ACTION, "Parameters": {"n.$": "$.n"}, "ResultPath": "$.got", "End": True},
        )
    )
    big = machine(
        ("Call", {"Type": "Action", "ActionName": "big", "Parameters": {"a": 1}, "ResultPath": "$.big", "Next": "Map"}),
        ("Map", {"Type": "Map", "ItemsPath": "$.input.items", "Iterator": each, "ResultPath": "$.out", "Next": "Pick"}),
        ("Pick", {"Type": "Choice", "Choices": [{"Variable": "$.out[0].got.n", "NumericEquals": 1, "Next": "Flaky"}]}),
        (
            "Flaky",
            {
                "Type": "Action",
                "ActionName": "flaky",
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 0, "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Lost"}],
                "End": True,
            },
        ),
        ("Lost", {"Type": "Choice", "Choices": [{"Variable": "$.nope", "IsPresent": True, "Next": "Flaky"}]}),
    )
    wait = machine(
        ("Before", {"Type": "Pass", "Parameters": {"id.$": "$.input.id"}, "ResultPath": "$.p", "Next": "Wait"}),
        ("Wait", {"Type": "Wait", "Seconds": 30, "Next": "Done"}),
        ("Done", {"Type": "Succeed", "Message": "id {{$.p.id}}"}),
    )
    return [
        (big, flow_input({"items": [{"n": 1}, {"n": 2}], "id": 5})),
        (wait, flow_input({"id": 5})),
    ]


def executor() -> ScriptedExecutor:
    return ScriptedExecutor(
        {
            ACTION: lambda parameters: {"n": parameters["n"]},
            "big": {"blob": "x" * 3000},
            "flaky": ActionError("States.Runtime", "down", status=503),
        }
    )


def test_every_state_run_has_a_record_with_the_values_it_had() -> None:
    (big, big_data), (wait, wait_data) = flows()

    failed = run_flow(big, big_data, executor(), clock=FakeClock(), now=fixed_now)
    waiting = run_flow(wait, wait_data, executor(), clock=FakeClock(), now=fixed_now)

    assert failed.outcome == Failed("States.NoChoiceMatched", "no choice rule matched and there is no Default")
    assert [(step.key, step.type, step.error) for step in failed.steps] == [
        ("1:Call", "Action", None),
        ("3:Map[0]/Call", "Action", None),
        ("4:Map[1]/Call", "Action", None),
        ("2:Map", "Map", None),
        ("5:Pick", "Choice", None),
        ("6:Flaky", "Action", "States.Runtime: down"),
        ("7:Flaky", "Action", "States.Runtime: down"),
        ("8:Flaky", "Action", "States.Runtime: down"),
        ("9:Lost", "Choice", "States.NoChoiceMatched: no choice rule matched and there is no Default"),
    ]
    assert failed.steps[0].output == {"blob": "x" * 3000}  # whole: the store cuts what it keeps
    assert failed.steps[3].input == {"items": 2}
    assert failed.steps[3].output == [{"n": 1, "got": {"n": 1}}, {"n": 2, "got": {"n": 2}}]
    assert isinstance(waiting.outcome, Waiting)
    assert [(step.type, step.output) for step in waiting.steps] == [("Pass", {"id": 5}), ("Wait", {"Seconds": 30.0})]


@pytest.mark.parametrize(("definition", "data"), flows())
def test_on_step_is_given_each_record_as_its_step_ends(definition: dict[str, Any], data: Any) -> None:
    seen: list[StepRecord] = []
    result = run_flow(definition, data, executor(), clock=FakeClock(), now=fixed_now, on_step=seen.append)
    assert result.steps == seen
    if isinstance(result.outcome, Waiting):  # and on from the checkpoint
        seen.clear()
        resumed = run_flow(
            definition, None, executor(), checkpoint=result.outcome.checkpoint, now=fixed_now, on_step=seen.append
        )
        assert resumed.outcome == Succeeded(resumed.outcome.output, "id 5")  # type: ignore[union-attr]
        assert resumed.steps == seen


# ------------------------------------------------------------------ times


def test_default_times_are_the_wall_clock_to_the_millisecond() -> None:
    definition = machine(
        ("A", {"Type": "Pass", "Next": "B"}),
        ("B", {"Type": "Pass", "End": True}),
    )
    before = wall_clock.now()
    result = run_flow(definition, flow_input({}), ScriptedExecutor())
    after = wall_clock.now()

    times = [moment for step in result.steps for moment in (step.started_at, step.ended_at)]
    assert times == sorted(times)
    assert before <= times[0]
    assert times[-1] <= after
    assert all(moment.tzinfo is UTC and moment.microsecond % 1000 == 0 for moment in times)


def test_a_given_now_is_called_as_each_step_starts_and_ends() -> None:
    calls: list[int] = []

    def now() -> datetime:
        calls.append(1)
        return datetime(2026, 1, 1, 0, 0, len(calls), tzinfo=UTC)

    result = run_flow(machine(("P", {"Type": "Pass", "End": True})), flow_input({}), ScriptedExecutor(), now=now)
    assert len(calls) == 2
    assert (result.steps[0].started_at.second, result.steps[0].ended_at.second) == (1, 2)


# ------------------------------------------------------------------ FlowResult


def test_a_flow_result_is_immutable_and_compared_by_value() -> None:
    step = StepRecord("1:P", "P", "Pass", None, None, None, fixed_now(), fixed_now())
    result = FlowResult(Succeeded({"a": 1}), [step])

    assert result == FlowResult(Succeeded({"a": 1}), [step])
    assert result != FlowResult(Succeeded({"a": 2}), [step])
    assert FlowResult(Failed("E", "c")).steps == []
    assert repr(result).startswith("FlowResult(outcome=Succeeded(")
    with pytest.raises(FrozenInstanceError):
        result.outcome = Failed("E", "c")  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(result)


def test_a_flow_result_copies_and_pickles_with_its_records() -> None:
    definition = machine(("P", {"Type": "Pass", "Result": {"x": 1}, "End": True}))
    result = run_flow(definition, flow_input({}), ScriptedExecutor(), now=fixed_now)

    assert copy.deepcopy(result) == result
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 - our own bytes
    assert result.steps[0].output == {"x": 1}
