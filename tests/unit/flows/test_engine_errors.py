"""The engine when things go wrong: Catch, Retry, whole-flow retry, limits, crash replay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookyard.flows.engine import (
    MAX_FLOW_ATTEMPTS,
    ActionError,
    Failed,
    FlowResult,
    Limits,
    RetryFlow,
    Succeeded,
    Waiting,
    flow_retry_delay,
    run_flow,
)
from tests.unit.flows.fakes import (
    CrashAfter,
    FakeClock,
    RecordingExecutor,
    ScriptedExecutor,
    fixed_now,
    flow_input,
    machine,
)

ACTION = "zis:my_integration:action:do"
CATCH_ALL = {"ErrorEquals": ["States.ALL"], "Next": "Handle", "ResultPath": "$.err"}
NOT_FOUND = ActionError("States.Runtime", "external action failed due to status code: 404", status=404)


def status_error(status: int, retry_after: float | None = None) -> ActionError:
    return ActionError("States.Runtime", f"external action failed due to status code: {status}", status, retry_after)


def run(definition: dict[str, Any], executor: Any, **options: Any) -> FlowResult:
    options.setdefault("clock", FakeClock())
    options.setdefault("now", fixed_now)
    return run_flow(definition, options.pop("data", flow_input({"id": 1})), executor, **options)


def call(**extra: Any) -> dict[str, Any]:
    return {"Type": "Action", "ActionName": ACTION, "Parameters": {"id.$": "$.input.id"}, **extra}


HANDLE = ("Handle", {"Type": "Pass", "Result": "handled", "ResultPath": "$.handled", "End": True})


# ------------------------------------------------------------------ Catch


def test_catch_puts_error_and_cause_at_its_result_path_and_goes_to_its_next() -> None:
    definition = machine(("Call", call(Catch=[CATCH_ALL], End=True)), HANDLE)

    result = run(definition, ScriptedExecutor({ACTION: NOT_FOUND}))

    assert isinstance(result.outcome, Succeeded)
    assert result.outcome.output["err"] == {
        "Error": "States.Runtime",
        "Cause": "external action failed due to status code: 404",
    }
    assert result.outcome.output["input"] == {"id": 1}


def test_catch_without_result_path_replaces_the_data_with_the_error() -> None:
    catcher = {"ErrorEquals": ["States.ALL"], "Next": "Handle"}
    definition = machine(("Call", call(Catch=[catcher], End=True)), ("Handle", {"Type": "Succeed"}))

    result = run(definition, ScriptedExecutor({ACTION: NOT_FOUND}))

    assert isinstance(result.outcome, Succeeded)
    assert result.outcome.output == {"Error": "States.Runtime", "Cause": NOT_FOUND.cause}


def test_catch_handles_a_parameters_path_that_leads_nowhere() -> None:
    state = {
        "Type": "Action",
        "ActionName": ACTION,
        "Parameters": {"x.$": "$.input.nope"},
        "Catch": [CATCH_ALL],
        "End": True,
    }
    result = run(machine(("Call", state), HANDLE), ScriptedExecutor({ACTION: "unused"}))
    assert isinstance(result.outcome, Succeeded)
    assert "$.input.nope" in result.outcome.output["err"]["Cause"]


# ------------------------------------------------------------------ Retry


RETRY = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 2.0}


def test_retry_waits_through_continuations_with_backoff_and_never_sleeps() -> None:
    # Given an action that fails twice, then works, under a retrier (3 s, x2, 2 attempts)
    executor = ScriptedExecutor({ACTION: [NOT_FOUND, NOT_FOUND, {"ok": True}]})
    definition = machine(("Call", call(Retry=[RETRY], ResultPath="$.r", End=True)))
    clock = FakeClock()  # never advances: a sleep would not help the test, a continuation does

    # When it runs: the first failure asks to wait 3 s, the second 6 s
    first = run(definition, executor, clock=clock)
    assert isinstance(first.outcome, Waiting)
    assert first.outcome.seconds == 3
    second = run(definition, executor, clock=clock, checkpoint=json.loads(json.dumps(first.outcome.checkpoint)))
    assert isinstance(second.outcome, Waiting)
    assert second.outcome.seconds == 6
    third = run(definition, executor, clock=clock, checkpoint=second.outcome.checkpoint)

    # Then the third try succeeds, each try with a step key of its own
    assert isinstance(third.outcome, Succeeded)
    assert third.outcome.output["r"] == {"ok": True}
    assert executor.keys == ["1:Call", "2:Call", "3:Call"]


def test_retry_gives_up_after_max_attempts_and_then_catch_applies() -> None:
    executor = ScriptedExecutor({ACTION: NOT_FOUND})
    retrier = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}
    definition = machine(("Call", call(Retry=[retrier], Catch=[CATCH_ALL], End=True)), HANDLE)

    outcome = run(definition, executor).outcome
    while isinstance(outcome, Waiting):
        outcome = run(definition, executor, checkpoint=outcome.checkpoint).outcome

    assert isinstance(outcome, Succeeded)
    assert outcome.output["handled"] == "handled"
    assert executor.keys == ["1:Call", "2:Call", "3:Call"]


def test_a_zero_interval_stored_before_upload_refused_it_retries_at_once() -> None:
    # Upload now requires IntervalSeconds >= 1; a flow stored earlier with 0 still runs.
    executor = ScriptedExecutor({ACTION: [NOT_FOUND, {"ok": True}]})
    retrier = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 0}
    result = run(machine(("Call", call(Retry=[retrier], ResultPath="$.r", End=True))), executor)

    assert isinstance(result.outcome, Succeeded)
    assert executor.keys == ["1:Call", "2:Call"]


def test_retry_defaults_to_three_attempts_one_second_and_backoff_two() -> None:
    executor = ScriptedExecutor({ACTION: NOT_FOUND})
    definition = machine(("Call", call(Retry=[{"ErrorEquals": ["States.ALL"]}], End=True)))
    waits = []
    outcome = run(definition, executor).outcome
    while isinstance(outcome, Waiting):
        waits.append(outcome.seconds)
        outcome = run(definition, executor, checkpoint=outcome.checkpoint).outcome
    assert waits == [1, 2, 4]
    assert isinstance(outcome, Failed)


def test_retry_does_not_repeat_a_path_error() -> None:
    state = {"Type": "Action", "ActionName": ACTION, "Parameters": {"x.$": "$.nope"}, "Retry": [RETRY], "End": True}
    result = run(machine(("Call", state)), ScriptedExecutor({ACTION: "unused"}))
    assert isinstance(result.outcome, Failed)


def test_a_retry_that_would_pass_the_time_limit_is_not_made() -> None:
    executor = ScriptedExecutor({ACTION: NOT_FOUND})
    retrier = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 200}
    result = run(machine(("Call", call(Retry=[retrier], End=True))), executor)
    assert result.outcome == Failed("States.Runtime", NOT_FOUND.cause)


def test_retry_on_a_map_reruns_the_whole_map() -> None:
    iteration = {"StartAt": "Call", "States": {"Call": {"Type": "Action", "ActionName": ACTION, "End": True}}}
    executor = ScriptedExecutor({ACTION: ["one", NOT_FOUND, "one again", "two"]})
    definition = machine(
        (
            "Each",
            {
                "Type": "Map",
                "ItemsPath": "$.input.items",
                "Iterator": iteration,
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}],
                "ResultPath": "$.out",
                "End": True,
            },
        )
    )

    first = run(definition, executor, data=flow_input({"items": [{"n": 1}, {"n": 2}]}))
    assert isinstance(first.outcome, Waiting)
    result = run(definition, executor, checkpoint=first.outcome.checkpoint)

    assert isinstance(result.outcome, Succeeded)
    assert result.outcome.output["out"] == ["one again", "two"]


# ------------------------------------------------------------------ whole-flow retry


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_an_unhandled_429_or_5xx_asks_for_a_whole_flow_retry(status: int) -> None:
    result = run(machine(("Call", call(End=True))), ScriptedExecutor({ACTION: status_error(status)}))
    assert result.outcome == RetryFlow(
        30, "States.Runtime", f"external action failed due to status code: {status}", status, None
    )


def test_a_whole_flow_retry_honours_retry_after_up_to_120_seconds() -> None:
    short = run(machine(("Call", call(End=True))), ScriptedExecutor({ACTION: status_error(429, 45)}))
    long = run(machine(("Call", call(End=True))), ScriptedExecutor({ACTION: status_error(429, 600)}))
    assert isinstance(short.outcome, RetryFlow)
    assert short.outcome.delay_seconds == 45
    assert isinstance(long.outcome, RetryFlow)
    assert long.outcome.delay_seconds == 120


def test_the_fourth_attempt_gives_up_instead_of_retrying() -> None:
    result = run(machine(("Call", call(End=True))), ScriptedExecutor({ACTION: status_error(503)}), attempt=4)
    assert result.outcome == Failed(
        "States.Runtime", "external action failed due to status code: 503 (gave up after 4 attempts)"
    )


@pytest.mark.parametrize(
    ("attempt", "retry_after", "delay"),
    [
        (1, None, 30),
        (2, None, 60),
        (3, None, 60),
        (1, 10, 10),
        (2, 119.5, 119.5),
        (3, 121, 120),
        (1, 0, 0),
        (4, None, None),
        (4, 5, None),
        (9, None, None),
    ],
)
def test_flow_retry_delay_schedule(attempt: int, retry_after: float | None, delay: float | None) -> None:
    assert flow_retry_delay(attempt, retry_after) == delay


def test_at_most_four_attempts_in_all() -> None:
    delays = [flow_retry_delay(attempt, None) for attempt in range(1, 10)]
    assert sum(delay is not None for delay in delays) == MAX_FLOW_ATTEMPTS - 1


def test_a_caught_5xx_does_not_retry_the_flow() -> None:
    definition = machine(("Call", call(Catch=[CATCH_ALL], End=True)), HANDLE)
    result = run(definition, ScriptedExecutor({ACTION: status_error(500)}))
    assert isinstance(result.outcome, Succeeded)


def test_an_unhandled_4xx_fails_the_flow_without_retry() -> None:
    result = run(machine(("Call", call(End=True))), ScriptedExecutor({ACTION: NOT_FOUND}))
    assert result.outcome == Failed("States.Runtime", "external action failed due to status code: 404")


def test_an_action_error_without_a_status_fails_the_flow_without_retry() -> None:
    error = ActionError("States.Runtime", "jq: syntax error")
    result = run(machine(("Call", call(End=True))), ScriptedExecutor({ACTION: error}))
    assert result.outcome == Failed("States.Runtime", "jq: syntax error")


def test_a_fail_state_fails_the_flow_and_is_not_retried() -> None:
    definition = machine(("Stop", {"Type": "Fail", "Error": "Bad", "Cause": "because"}))
    result = run(definition, ScriptedExecutor())
    assert result.outcome == Failed("Bad", "because")


def test_a_5xx_inside_a_map_iteration_retries_the_flow_when_unhandled() -> None:
    iteration = {"StartAt": "Call", "States": {"Call": {"Type": "Action", "ActionName": ACTION, "End": True}}}
    definition = machine(("Each", {"Type": "Map", "ItemsPath": "$.input.items", "Iterator": iteration, "End": True}))
    result = run(definition, ScriptedExecutor({ACTION: status_error(502)}), data=flow_input({"items": [{}]}))
    assert isinstance(result.outcome, RetryFlow)


# ------------------------------------------------------------------ limits


LOOP = machine(
    ("Count", {"Type": "Pass", "Next": "Again"}),
    (
        "Again",
        {
            "Type": "Choice",
            "Choices": [{"Variable": "$.input.stop", "BooleanEquals": True, "Next": "Done"}],
            "Default": "Count",
        },
    ),
    ("Done", {"Type": "Succeed"}),
)


def test_the_251st_state_transition_fails_the_flow() -> None:
    result = run(LOOP, ScriptedExecutor(), data=flow_input({"stop": False}))
    assert result.outcome == Failed("States.LimitExceeded", "the flow exceeded 250 state transitions")
    assert len(result.steps) == 250


def test_a_flow_of_exactly_250_transitions_succeeds() -> None:
    states = [(f"S{n}", {"Type": "Pass", "Next": f"S{n + 1}"}) for n in range(249)]
    definition = machine(*states, (f"S{249}", {"Type": "Succeed"}))
    assert isinstance(run(definition, ScriptedExecutor()).outcome, Succeeded)


def test_transitions_count_across_continuations() -> None:
    definition = machine(
        ("Pause", {"Type": "Wait", "Seconds": 1, "Next": "Count"}),
        *LOOP["States"].items(),
    )
    waiting = run(definition, ScriptedExecutor(), data=flow_input({"stop": False})).outcome
    assert isinstance(waiting, Waiting)
    result = run(definition, ScriptedExecutor(), data=flow_input({"stop": False}), checkpoint=waiting.checkpoint)
    assert isinstance(result.outcome, Failed)
    assert len(result.steps) == 249  # the Wait was the first of the 250


def test_a_flow_running_longer_than_100_seconds_fails() -> None:
    # Given an action that takes 60 s of (fake) time per call
    clock = FakeClock()

    def slow(parameters: Any) -> str:
        clock.advance(60)
        return "done"

    definition = machine(
        ("One", call(ResultPath="$.one", Next="Two")),
        ("Two", call(ResultPath="$.two", Next="Three")),
        ("Three", call(ResultPath="$.three", End=True)),
    )
    executor = ScriptedExecutor({ACTION: slow})

    # When the flow runs
    result = run(definition, executor, clock=clock)

    # Then the third state never starts
    assert result.outcome == Failed("States.Timeout", "the flow ran longer than 100 seconds")
    assert executor.keys == ["1:One", "2:Two"]


def test_waits_count_as_flow_time_and_a_wait_cut_to_the_time_left_ends_in_a_timeout() -> None:
    clock = FakeClock()
    definition = machine(
        ("Pause", {"Type": "Wait", "Seconds": 70, "Next": "Again"}),
        ("Again", {"Type": "Wait", "Seconds": 70, "Next": "Done"}),
        ("Done", {"Type": "Succeed"}),
    )

    first = run(definition, ScriptedExecutor(), clock=clock).outcome
    assert isinstance(first, Waiting)
    second = run(definition, ScriptedExecutor(), clock=clock, checkpoint=first.checkpoint).outcome
    assert isinstance(second, Waiting)
    assert second.seconds == 30
    third = run(definition, ScriptedExecutor(), clock=clock, checkpoint=second.checkpoint).outcome

    assert third == Failed("States.Timeout", "the flow ran longer than 100 seconds")


def test_limits_are_configurable() -> None:
    result = run(LOOP, ScriptedExecutor(), data=flow_input({"stop": False}), limits=Limits(max_transitions=10))
    assert isinstance(result.outcome, Failed)
    assert len(result.steps) == 10


def test_a_checkpoint_of_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported flow checkpoint"):
        run(LOOP, ScriptedExecutor(), checkpoint={"version": 99, "frames": [{"state": "Count", "data": {}}]})


# ------------------------------------------------------------------ deterministic replay


REPLAYED = machine(
    ("Get", call(ResultPath="$.got", Next="Each")),
    (
        "Each",
        {
            "Type": "Map",
            "ItemsPath": "$.got.items",
            "ResultPath": "$.each",
            "Next": "Post",
            "Iterator": {
                "StartAt": "Item",
                "States": {"Item": {"Type": "Action", "ActionName": ACTION, "Parameters": {"n.$": "$.n"}, "End": True}},
            },
        },
    ),
    ("Post", call(ResultPath="$.posted", End=True)),
)


def answers(parameters: Any) -> Any:
    if "n" in parameters:
        return {"item": parameters["n"]}
    return {"items": [{"n": 1}, {"n": 2}]}


def test_step_keys_are_the_same_on_every_run_of_the_same_flow() -> None:
    first, second = ScriptedExecutor({ACTION: answers}), ScriptedExecutor({ACTION: answers})
    run(REPLAYED, first)
    run(REPLAYED, second)
    assert first.keys == second.keys == ["1:Get", "3:Each[0]/Item", "4:Each[1]/Item", "5:Post"]


def test_a_run_after_a_crash_answers_completed_actions_from_the_record() -> None:
    # Given a run that crashed after its first two actions had completed and been recorded
    outside = ScriptedExecutor({ACTION: answers})
    durable = RecordingExecutor(outside)
    with pytest.raises(RuntimeError, match="crash"):
        run(REPLAYED, CrashAfter(durable, calls=2))
    assert outside.keys == ["1:Get", "3:Each[0]/Item"]

    # When the flow runs again with the recorded results
    again = run(REPLAYED, durable)

    # Then only the actions that had not happened are called
    assert isinstance(again.outcome, Succeeded)
    assert outside.keys == ["1:Get", "3:Each[0]/Item", "4:Each[1]/Item", "5:Post"]


def test_a_rerun_with_every_result_recorded_calls_nothing_and_ends_the_same() -> None:
    outside = ScriptedExecutor({ACTION: answers})
    durable = RecordingExecutor(outside)
    original = run(REPLAYED, durable)

    silent = ScriptedExecutor({})  # would raise KeyError if called
    replay = run(REPLAYED, RecordingExecutor(silent, recorded=dict(durable.recorded)))

    assert silent.calls == []
    assert replay.outcome == original.outcome
