"""Step records built when `steps` is first read: the same records as built at once
(on_step), previews cut exactly as before, wall-clock times to the millisecond."""

from __future__ import annotations

import copy
import json
import pickle
import random
from collections import OrderedDict
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime
from typing import Any

import pytest

from hookyard import clock as wall_clock
from hookyard.flows import engine
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


def old_preview(value: Any, record_chars: int) -> Any:
    """The preview as the engine made it before records were built lazily."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= record_chars:
        return value
    return f"{text[:record_chars]}... (truncated, {len(text)} characters)"


def recorded_output(value: Any, record_chars: int) -> Any:
    """The output a Pass state with `Result: value` shows in its step record."""
    definition = machine(("P", {"Type": "Pass", "Result": value, "End": True}))
    result = run_flow(definition, flow_input({}), ScriptedExecutor(), record_chars=record_chars, now=fixed_now)
    return result.steps[0].output


class Shown:
    def __str__(self) -> str:
        return "shown"


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


PREVIEW_CASES: list[Any] = [
    "x" * 98,  # JSON of 100 characters: not cut at 100
    "x" * 99,  # 101: cut
    "\x01" * 16,  # 6 characters of JSON each: 98
    "\x01" * 17,  # 104
    'quote " and backslash \\' * 4,
    "é" * 98,  # ensure_ascii=False: one character each
    "🔥" * 99,
    {"status": "open", "priority": "high", "step": 3},
    {"a": "y" * 90},
    {"a": "y" * 91},
    {"\x01" * 16: 1},  # keys are escaped too
    {'"\\' * 30: 0},
    {"k" * 40: ["v" * 20, 1, 2.5, None, True]},
    [1, 2, 3, [4, 5, {"six": 6}]],
    [""] * 40,  # separators count
    [[]] * 40,
    {str(i): "" for i in range(20)},
    [],
    {},
    "",
    {1: "int key", 2: "two"},
    {None: "null key"},
    ("a", "tuple"),
    {"obj": Shown()},
    {"big": 10**40},
    {"float": float("nan"), "inf": float("inf"), "small": -2.2250738585072014e-308},
    OrderedDict(a=1),
    nested(40),
    nested(60),
    7,
    2.5,
    True,
    None,
]


@pytest.mark.parametrize("value", PREVIEW_CASES)
@pytest.mark.parametrize("record_chars", [0, 1, 20, 100, 2048])
def test_previews_are_what_they_were(value: Any, record_chars: int) -> None:
    expected = old_preview(value, record_chars)
    shown = recorded_output(value, record_chars)
    assert shown == expected or (shown != shown and expected != expected)  # NaN inside
    assert type(shown) is type(expected)


def text(rng: random.Random) -> str:
    return "".join(rng.choice('ab"\\\n\x02é🔥 ') for _ in range(rng.randrange(40)))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-(10**20), 10**20)
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    if kind in (3, 4):
        return text(rng)
    if kind in (5, 6):
        return {text(rng) + str(i): random_value(rng, depth + 1) for i in range(rng.randrange(5))}
    return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_previews_of_random_values_are_what_they_were() -> None:
    rng = random.Random(20240611)  # noqa: S311 - test data, seeded
    for _ in range(300):
        value = random_value(rng)
        for record_chars in (10, 60, 200):
            assert recorded_output(value, record_chars) == old_preview(value, record_chars)


# ------------------------------------------------------------------ built later == built at once


def flows() -> list[tuple[dict[str, Any], Any]]:
    """Flows with every kind of record: Map iterations, retries, a Catch, a failed
    Choice, a truncated result, a Wait, an unhandled failure."""
    each = machine(
        (
            "Call",
            {"Type": "Action", "ActionName": ACTION, "Parameters": {"n.$": "$.n"}, "ResultPath": "$.got", "End": True},
        )
    )
    big = machine(
        ("Call", {"Type": "Action", "ActionName": "big", "Parameters": {"a": 1}, "ResultPath": "$.big", "Next": "Map"}),
        ("Map", {"Type": "Map", "ItemsPath": "$.input.items", "Iterator": each, "ResultPath": "$.out", "Next": "Pick"}),
        (
            "Pick",
            {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.out[0].got.n", "NumericEquals": 1, "Next": "Flaky"},
                ],
            },
        ),
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
            "big": {"blob": "x" * 300},
            "flaky": ActionError("States.Runtime", "down", status=503),
        }
    )


@pytest.mark.parametrize(("definition", "data"), flows())
def test_records_built_when_read_equal_records_built_as_each_step_ends(definition: dict[str, Any], data: Any) -> None:
    seen: list[StepRecord] = []
    at_once = run_flow(
        definition, data, executor(), clock=FakeClock(), now=fixed_now, on_step=seen.append, record_chars=100
    )
    later = run_flow(definition, data, executor(), clock=FakeClock(), now=fixed_now, record_chars=100)
    truncated = [step for step in later.steps if isinstance(step.output, str) and "truncated" in step.output]
    assert truncated or isinstance(later.outcome, Waiting)

    assert later.outcome == at_once.outcome
    assert later.steps == at_once.steps == seen
    if isinstance(later.outcome, Waiting):  # and on from the checkpoint
        checkpoint = later.outcome.checkpoint
        seen.clear()
        at_once = run_flow(definition, None, executor(), checkpoint=checkpoint, now=fixed_now, on_step=seen.append)
        later = run_flow(definition, None, executor(), checkpoint=checkpoint, now=fixed_now)
        assert later.outcome == at_once.outcome == Succeeded(later.outcome.output, "id 5")  # type: ignore[union-attr]
        assert later.steps == at_once.steps == seen


def test_the_test_flows_end_as_expected() -> None:
    (big, big_data), (wait, wait_data) = flows()
    failed = run_flow(big, big_data, executor(), clock=FakeClock(), now=fixed_now)
    waiting = run_flow(wait, wait_data, executor(), clock=FakeClock(), now=fixed_now)
    assert failed.outcome == Failed("States.NoChoiceMatched", "no choice rule matched and there is no Default")
    assert [step.key for step in failed.steps] == [
        "1:Call",
        "3:Map[0]/Call",
        "4:Map[1]/Call",
        "2:Map",
        "5:Pick",
        "6:Flaky",
        "7:Flaky",
        "8:Flaky",
        "9:Lost",
    ]
    assert failed.steps[0].output == old_preview({"blob": "x" * 300}, 2048)
    assert isinstance(waiting.outcome, Waiting)
    assert [step.type for step in waiting.steps] == ["Pass", "Wait"]


def test_records_are_built_once() -> None:
    result = run_flow(machine(("P", {"Type": "Pass", "End": True})), flow_input({}), ScriptedExecutor())
    assert result.steps is result.steps


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


@pytest.mark.parametrize(
    "ns",
    [0, 1, 999_999, 1_000_000, 1_700_000_000_123_456_789, 1_700_000_000_999_999_999, 1_700_000_001_000_000_000],
)
def test_a_wall_clock_reading_becomes_the_datetime_hookyard_clock_now_gives(
    ns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.time, "time_ns", lambda: ns)
    result = run_flow(machine(("P", {"Type": "Pass", "End": True})), flow_input({}), ScriptedExecutor())

    seconds, rest = divmod(ns, 1_000_000_000)
    expected = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1_000_000 * 1000)
    assert result.steps[0].started_at == expected
    assert result.steps[0].ended_at == expected


def test_a_given_now_is_called_as_each_step_starts_and_ends() -> None:
    calls: list[int] = []

    def now() -> datetime:
        calls.append(1)
        return datetime(2026, 1, 1, 0, 0, len(calls), tzinfo=UTC)

    result = run_flow(machine(("P", {"Type": "Pass", "End": True})), flow_input({}), ScriptedExecutor(), now=now)
    assert len(calls) == 2  # before the records are read
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
    result = run_flow(definition, flow_input({}), ScriptedExecutor(), limits=Limits(), now=fixed_now)

    assert copy.deepcopy(result) == result
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 - our own bytes
    assert result.steps[0].output == {"x": 1}
