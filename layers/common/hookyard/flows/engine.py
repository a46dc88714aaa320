"""The ZIS flow interpreter: pure, deterministic, resumable. No I/O, no sleeps.

    run_flow(definition, data, executor, *, checkpoint=None, attempt=1, limits=Limits(),
             clock=time.monotonic, now=hookyard.clock.now, on_step=None) -> FlowResult(outcome, steps)

`definition` is a flow that passed `hookyard.flows.bundle.validate_bundle` (today's or,
for bundles stored before its checks got stricter, an earlier version's); `data` is the
flow input, `{account_id, integration_key, subdomain, input: <event body>}` as in ZIS.
`outcome` is one of:

- `Succeeded(output, message)`: the flow ended. `message` is what ZIS logs for it: the
  Message of the Succeed state it ended on, placeholders rendered, or "Execution
  Successful" (SUCCESS_MESSAGE) when that state has none or the flow ended with End.
- `Failed(error, cause)`: a Fail state, an error no Catch handled, or a limit. Final.
- `Waiting(seconds, checkpoint)`: a Wait state, or a Retry interval. The runner stores the
  checkpoint (a JSON-serialisable dict), waits with a delayed SQS message (never a sleep)
  and calls `run_flow(..., checkpoint=checkpoint)` with the same definition and executor
  kind; the flow carries on as if it had never stopped.
- `RetryFlow(delay_seconds, error, cause, status, retry_after)`: an action answered 429 or
  5xx and no Catch handled it. ZIS re-runs the whole flow: the runner re-enqueues it after
  `delay_seconds` and calls `run_flow` from the start (checkpoint None) with `attempt`+1.
  `flow_retry_delay(attempt, retry_after)` is the schedule; when it gives up, run_flow
  answers Failed instead (so pass the real `attempt`).

`steps` lists a StepRecord per state run (also given to `on_step` as each one ends):
key, name, type, input, output, error, started_at, ended_at, the values as the state
had them (the engine never changes a value once a state produced or received it: copy
on write). Recorded: an Action's resolved Parameters and result, a Pass state's result,
a Map's item count and results, a Choice's chosen Next, a Wait's seconds, a Succeed's
message, a failure's error. Whoever keeps the records decides how much of a value to
keep (the flow runner's store cuts long ones: hookyard.dal.activity).

Executor protocol: `executor.call(step_key, action_name, parameters) -> result`, raising
`ActionError(error, cause, status=None, retry_after=None)` when the action fails (HTTP
actions: `status` is the response status, `retry_after` its Retry-After in seconds). Any
other exception is a crash: it leaves run_flow as is, and the queue's redelivery re-runs
the flow. The executor must not change `parameters` (they share values with the data).

Step keys and replay: every state run gets the next number of a counter that the
checkpoint carries, so the same flow over the same data numbers its states the same way
every time. A key is `"<number>:<state>"`, and inside a Map iteration
`"<number>:<Map>[<index>]/<state>"` (nested Maps nest: `"9:Outer[0]/Inner[2]/Call"`).
A retried state gets a new number per attempt. An executor that records each result
under its key (prefixed with the flow attempt: keys repeat across whole-flow retries)
and answers a recorded key from the record makes a re-run after a crash skip the actions
that already happened.

Checkpoint format (version 1), innermost position last:

    {"version": 1, "elapsed": 12.5, "steps": 17,
     "frames": [{"state": "NotifyAll", "data": {...}, "retries": 0,
                 "map": {"step": 4, "index": 2, "results": [...]}},
                {"state": "AfterWait", "data": {...}, "retries": 0}]}

`elapsed` is flow time used (Waits and Retry intervals included), `steps` the counter.
A frame says which state to run next with which data (`state` null: that level has
ended with `data`); `retries` is how many retries of that state already happened; a
Map frame says which iteration was in progress (its own position is the next frame),
the results of the iterations before it and the Map's own step number.

Semantics (ZIS's flow language, an Amazon States Language subset):

- ResultPath defaults to `$` (the result replaces the whole data); null discards the result.
- Parameters: `key.$` values are JSONPaths or `{{$.path}}` templates; a path that leads
  nowhere is a `States.Runtime` error (Catch handles it; Retry does not repeat it). An
  Action without Parameters gets the whole state data.
- Catch (`ErrorEquals: ["States.ALL"]`) on Action and Map: the first catcher takes every
  error and writes `{"Error", "Cause"}` at its ResultPath (default `$`).
- Retry on Action and Map: the first retrier applies; after a failure the state runs
  again up to MaxAttempts (default 3) times, waiting IntervalSeconds (default 1) x
  BackoffRate (default 2.0) ^ n. The wait is a Waiting continuation (no sleep); upload
  requires IntervalSeconds >= 1, and a wait of 0 (a flow stored before that rule) retries
  at once. A retry whose wait would pass the flow's time limit is not made; the error
  goes on to Catch. Retries are tried before Catch.
- Map: ItemsPath must give an array of at most `limits.max_map_items` (100) objects, else
  the Map state fails (States.Runtime; Catch can handle it). Iterations run in order,
  each on its element alone; the Map's result is the array of their outputs. A failed
  iteration fails the Map with the iteration's error.
- Wait: `Seconds`, cut to the flow time left (as ZIS ends a Wait early rather than pass
  the limit). A Wait inside a Map iteration works too.
- Limits: `limits.max_seconds` (100) of flow time and `limits.max_transitions` (250) states
  run, counted across continuations and Map iterations, checked as each state starts.
  Flow time is the time spent in run_flow plus the Waits and Retry intervals asked for
  (how late a delayed message arrives is not held against the flow).
  Over a limit the flow fails (`States.Timeout`, `States.LimitExceeded`); Catch does not
  apply. Each whole-flow attempt starts with a fresh budget.
- Fail: Error and Cause with placeholders rendered (a missing path leaves the placeholder
  as written); the flow fails and is not retried. Succeed's Message likewise. A Succeed
  inside a Map iteration ends that iteration only (its output is the iteration's result)
  and its Message is not the flow's.
- Choice: rules in order, first match wins, else Default, else `States.NoChoiceMatched`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from hookyard import clock as wall_clock
from hookyard.flows import choice
from hookyard.flows.paths import PathError, read_path, render_template, resolve_parameters, write_result_path

CHECKPOINT_VERSION = 1
RUNTIME_ERROR = "States.Runtime"
TIMEOUT_ERROR = "States.Timeout"
LIMIT_ERROR = "States.LimitExceeded"
NO_CHOICE_ERROR = "States.NoChoiceMatched"
NO_CHOICE_CAUSE = "no choice rule matched and there is no Default"

# Whole-flow retry, as ZIS does it for 429 and 5xx answers no Catch handled.
MAX_FLOW_ATTEMPTS = 4
RETRY_AFTER_CAP_SECONDS = 120.0
FLOW_RETRY_BACKOFF_SECONDS = (30.0, 60.0)

DEFAULT_RETRY_INTERVAL_SECONDS = 1.0
DEFAULT_RETRY_MAX_ATTEMPTS = 3
DEFAULT_RETRY_BACKOFF_RATE = 2.0

# What ZIS logs for a flow that succeeded without a Succeed Message.
SUCCESS_MESSAGE = "Execution Successful"


class ActionError(Exception):
    """An action that failed. `status` is the HTTP status of a custom action's answer
    (None when there was none), `retry_after` its Retry-After in seconds."""

    def __init__(self, error: str, cause: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        self.status = status
        self.retry_after = retry_after


class Executor(Protocol):
    def call(self, step_key: str, action_name: str, parameters: Any) -> Any:
        """The action's result (any JSON value), or ActionError."""
        ...


@dataclass(frozen=True)
class Limits:
    max_seconds: float = 100.0
    max_transitions: int = 250
    max_map_items: int = 100


@dataclass(frozen=True)
class Succeeded:
    """The flow ended; `message` is its log entry's text (see the module docstring)."""

    output: Any
    message: str = SUCCESS_MESSAGE


@dataclass(frozen=True)
class Failed:
    error: str
    cause: str


@dataclass(frozen=True)
class Waiting:
    seconds: float
    checkpoint: dict[str, Any]


@dataclass(frozen=True)
class RetryFlow:
    delay_seconds: float
    error: str
    cause: str
    status: int | None = None
    retry_after: float | None = None


Outcome = Succeeded | Failed | Waiting | RetryFlow


class StepRecord(NamedTuple):
    """One state run. A tuple: there is one per transition, and they are made fast."""

    key: str
    name: str
    type: str
    input: Any
    output: Any
    error: str | None
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class FlowResult:
    outcome: Outcome
    steps: list[StepRecord] = field(default_factory=list)


def flow_retry_delay(attempt: int, retry_after: float | None) -> float | None:
    """Seconds to wait before re-running a flow whose attempt number `attempt` (1 = the
    first run) ended in an unhandled 429 or 5xx, or None to give up (after
    MAX_FLOW_ATTEMPTS attempts). A Retry-After is honoured up to 120 s; without one the
    waits are 30 s, then 60 s for every later retry."""
    if attempt >= MAX_FLOW_ATTEMPTS:
        return None
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), RETRY_AFTER_CAP_SECONDS)
    return FLOW_RETRY_BACKOFF_SECONDS[min(attempt, len(FLOW_RETRY_BACKOFF_SECONDS)) - 1]


def is_flow_retry_status(status: int | None) -> bool:
    """Statuses that make ZIS re-run the whole flow when no Catch handles them."""
    return status is not None and (status == 429 or status >= 500)


def run_flow(
    definition: dict[str, Any],
    data: Any,
    executor: Executor,
    *,
    checkpoint: dict[str, Any] | None = None,
    attempt: int = 1,
    limits: Limits = Limits(),  # noqa: B008 - frozen, so one shared default is safe
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = wall_clock.now,
    on_step: Callable[[StepRecord], None] | None = None,
) -> FlowResult:
    """Runs `definition` on `data` (or from `checkpoint`) until it ends or must wait.
    See the module docstring for the outcomes, step keys and the checkpoint format.
    Raises ValueError for a checkpoint this version cannot read."""
    frames, elapsed, steps = _read_checkpoint(checkpoint)
    run = _Run(executor, limits, clock, now, on_step, elapsed, steps)
    outcome: Outcome
    try:
        output = run.machine(definition, "", data, frames)
        outcome = Succeeded(output, SUCCESS_MESSAGE if run.message is None else run.message)
    except _Suspend as pause:
        outcome = Waiting(
            pause.seconds,
            {
                "version": CHECKPOINT_VERSION,
                "elapsed": run.elapsed() + pause.seconds,
                "steps": run.steps,
                "frames": pause.frames,
            },
        )
    except _LimitExceeded as limit:
        outcome = Failed(limit.error, limit.cause)
    except _Failure as failure:
        outcome = _unhandled(failure, attempt)
    return FlowResult(outcome, run.records)


def _unhandled(failure: _Failure, attempt: int) -> Outcome:
    if not is_flow_retry_status(failure.status):
        return Failed(failure.error, failure.cause)
    delay = flow_retry_delay(attempt, failure.retry_after)
    if delay is None:
        return Failed(failure.error, f"{failure.cause} (gave up after {attempt} attempts)")
    return RetryFlow(delay, failure.error, failure.cause, failure.status, failure.retry_after)


def _read_checkpoint(checkpoint: dict[str, Any] | None) -> tuple[list[dict[str, Any]], float, int]:
    if checkpoint is None:
        return [], 0.0, 0
    if checkpoint.get("version") != CHECKPOINT_VERSION or not checkpoint.get("frames"):
        raise ValueError(f"unsupported flow checkpoint (version {checkpoint.get('version')!r})")
    return list(checkpoint["frames"]), float(checkpoint.get("elapsed", 0.0)), int(checkpoint.get("steps", 0))


# ------------------------------------------------------------------ control flow


class _Failure(Exception):
    """A state's error, on its way to a Retry, a Catch or the end of the flow."""

    def __init__(
        self,
        error: str,
        cause: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        self.status = status
        self.retry_after = retry_after
        self.retryable = retryable


class _Suspend(Exception):
    """The flow must wait `seconds`; frames are prepended while it unwinds out of Maps."""

    def __init__(self, seconds: float, frame: dict[str, Any]) -> None:
        super().__init__(f"waiting {seconds} s")
        self.seconds = seconds
        self.frames = [frame]


class _LimitExceeded(Exception):
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(cause)
        self.error = error
        self.cause = cause


def _runtime(exc: PathError) -> _Failure:
    # Path errors are deterministic: retrying them would fail the same way.
    return _Failure(RUNTIME_ERROR, str(exc), retryable=False)


class _Log:
    """What a step record shows of an Action, Map, Wait or Succeed state; filled in by
    the state as it runs (so a state that fails half-way still shows what it had)."""

    __slots__ = ("input", "output")

    def __init__(self) -> None:
        self.input: Any = None
        self.output: Any = None


@dataclass(frozen=True)
class _Position:
    """Where an Action, Map, Wait, Succeed or Fail state runs: its name, its machine's key
    prefix (`""`, or `"Map[2]/"` in an iteration), its step number, how many retries of
    it happened, and, when resuming a Map mid-way, the Map's progress and the frames of
    the iteration in progress."""

    name: str
    prefix: str
    number: int
    retries: int
    progress: dict[str, Any] | None
    rest: list[dict[str, Any]]

    @property
    def key(self) -> str:
        return f"{self.number}:{self.prefix}{self.name}"


class _Run:
    def __init__(
        self,
        executor: Executor,
        limits: Limits,
        clock: Callable[[], float],
        now: Callable[[], datetime],
        on_step: Callable[[StepRecord], None] | None,
        elapsed: float,
        steps: int,
    ) -> None:
        self.executor = executor
        self.limits = limits
        self.max_transitions = limits.max_transitions
        self.max_seconds = limits.max_seconds
        self.clock = clock
        self.stamp = now
        self.on_step = on_step
        self.records: list[StepRecord] = []
        self.keep: Callable[[StepRecord], None] = self.records.append if on_step is None else self.keep_and_report
        self.elapsed_before = elapsed
        self.started = clock()
        self.steps = steps
        self.message: str | None = None

    def elapsed(self) -> float:
        return self.elapsed_before + (self.clock() - self.started)

    # -------------------------------------------------------------- machines

    def machine(self, machine: dict[str, Any], prefix: str, data: Any, resume: list[dict[str, Any]]) -> Any:
        """Runs a StartAt/States machine (the flow, or a Map's Iterator) to its end and
        returns its output. `resume` is the checkpoint's frames from this level inward.

        Each state run: a step number (a Map resumed mid-way keeps the one it started
        with; every other run of a state is a transition of its own), the state, and its
        step record. Pass and Choice, the commonest states, run inline; `dispatch` runs
        the others."""
        states: dict[str, Any] = machine["States"]
        name: str | None = machine["StartAt"]
        retries = 0
        progress: dict[str, Any] | None = None
        rest: list[dict[str, Any]] = []
        if resume:
            frame, rest = resume[0], resume[1:]
            name, data, retries, progress = (
                frame.get("state"),
                frame.get("data"),
                frame.get("retries", 0),
                frame.get("map"),
            )
        keep, stamp, first_match = self.keep, self.stamp, choice.first_match
        clock, run_started, elapsed_before = self.clock, self.started, self.elapsed_before
        max_transitions, max_seconds = self.max_transitions, self.max_seconds
        while name is not None:
            state = states.get(name)
            if state is None:
                # Only a checkpoint taken before the bundle changed can get here.
                raise _Failure(RUNTIME_ERROR, f"cannot resume: state {name} is not in the flow", retryable=False)
            kind = state["Type"]
            if progress is None:
                # A new transition: check the limits (flow time only when the count is fine).
                number = self.steps
                if number >= max_transitions or elapsed_before + (clock() - run_started) >= max_seconds:
                    raise self.over_limit()
                number += 1
                self.steps = number
            else:
                number = int(progress["step"])  # a Map resumed mid-way keeps its number
            started = stamp()
            shown_in: Any = None
            shown_out: Any = None
            log: _Log | None = None
            following: str | None
            try:
                if kind == "Pass":
                    try:
                        if "Result" in state:
                            shown_out = state["Result"]
                        elif "Parameters" in state:
                            shown_out = resolve_parameters(state["Parameters"], data)
                        else:
                            shown_out = data
                        data = write_result_path(data, state.get("ResultPath", "$"), shown_out)
                    except PathError as exc:
                        raise _runtime(exc) from None
                    following = state.get("Next")
                elif kind == "Choice":
                    rule = first_match(state["Choices"], data)
                    if rule is not None:
                        following = rule["Next"]
                    elif "Default" in state:
                        following = state["Default"]
                    else:
                        raise _Failure(NO_CHOICE_ERROR, NO_CHOICE_CAUSE, retryable=False)
                    if type(following) is not str:  # validated: a state's name
                        following = str(following)
                    shown_out = {"Next": following}
                else:
                    log = _Log()
                    at = _Position(name, prefix, number, retries, progress, rest)
                    following, data = self.dispatch(kind, at, state, data, log)
                    shown_in, shown_out = log.input, log.output
            except _Failure as failure:
                if log is not None:
                    shown_in, shown_out = log.input, log.output
                error = f"{failure.error}: {failure.cause}"
                keep(StepRecord(f"{number}:{prefix}{name}", name, kind, shown_in, shown_out, error, started, stamp()))
                name, data, retries = self.recover(name, retries, state, data, failure)
                progress, rest = None, []
                continue
            except _Suspend:
                if kind == "Wait" and log is not None:
                    keep(
                        StepRecord(
                            f"{number}:{prefix}{name}", name, kind, log.input, log.output, None, started, stamp()
                        )
                    )
                raise
            keep(StepRecord(f"{number}:{prefix}{name}", name, kind, shown_in, shown_out, None, started, stamp()))
            name, retries = following, 0
            if progress is not None:
                progress, rest = None, []
        return data

    def over_limit(self) -> _LimitExceeded:
        """The limit a new transition would pass (the count first, as the check goes)."""
        if self.steps >= self.max_transitions:
            return _LimitExceeded(LIMIT_ERROR, f"the flow exceeded {self.limits.max_transitions} state transitions")
        return _LimitExceeded(TIMEOUT_ERROR, f"the flow ran longer than {self.limits.max_seconds:g} seconds")

    def dispatch(self, kind: str, at: _Position, state: dict[str, Any], data: Any, log: _Log) -> tuple[str | None, Any]:
        """Runs a state other than Pass and Choice (which `machine` runs itself)."""
        following: str | None = state.get("Next")
        if kind == "Action":
            return following, self.result(state, data, self.action(at, state, data, log))
        if kind == "Map":
            return following, self.result(state, data, self.map(at, state, data, log))
        if kind == "Wait":
            return following, self.wait(state, data, following, log)
        if kind == "Succeed":
            message = state.get("Message")
            if message is not None:
                message = render_template(message, data, strict=False)
                log.output = message
                if not at.prefix:
                    self.message = message
            return None, data
        if kind == "Fail":
            error = render_template(state.get("Error", "States.Fail"), data, strict=False)
            cause = render_template(state.get("Cause", ""), data, strict=False)
            raise _Failure(error, cause, retryable=False)
        raise _Failure(RUNTIME_ERROR, f"unsupported state type {kind}", retryable=False)

    # -------------------------------------------------------------- states

    def result(self, state: dict[str, Any], data: Any, result: Any) -> Any:
        try:
            return write_result_path(data, state.get("ResultPath", "$"), result)
        except PathError as exc:
            raise _runtime(exc) from None

    def action(self, at: _Position, state: dict[str, Any], data: Any, log: _Log) -> Any:
        try:
            parameters = resolve_parameters(state["Parameters"], data) if "Parameters" in state else data
        except PathError as exc:
            raise _runtime(exc) from None
        log.input = parameters
        try:
            result = self.executor.call(at.key, state["ActionName"], parameters)
        except ActionError as exc:
            raise _Failure(exc.error, exc.cause, status=exc.status, retry_after=exc.retry_after) from None
        log.output = result
        return result

    def wait(self, state: dict[str, Any], data: Any, following: str | None, log: _Log) -> Any:
        left = max(self.limits.max_seconds - self.elapsed(), 0.0)
        seconds = min(float(state["Seconds"]), left)
        log.output = {"Seconds": seconds}
        if seconds > 0:
            raise _Suspend(seconds, {"state": following, "data": data})
        return data

    def map(self, at: _Position, state: dict[str, Any], data: Any, log: _Log) -> list[Any]:
        items_path = state["ItemsPath"]
        try:
            items = read_path(data, items_path)
        except PathError as exc:
            raise _runtime(exc) from None
        if not isinstance(items, list):
            raise _Failure(RUNTIME_ERROR, f"ItemsPath {items_path} is not an array", retryable=False)
        if len(items) > self.limits.max_map_items:
            raise _Failure(
                RUNTIME_ERROR,
                f"ItemsPath {items_path} has {len(items)} items; a Map takes at most {self.limits.max_map_items}",
                retryable=False,
            )
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                raise _Failure(RUNTIME_ERROR, f"ItemsPath {items_path}[{position}] is not an object", retryable=False)
        log.input = {"items": len(items)}
        progress = at.progress
        start, results = (int(progress["index"]), list(progress["results"])) if progress else (0, [])
        for position in range(start, len(items)):
            inner = at.rest if progress is not None and position == start else []
            prefix = f"{at.prefix}{at.name}[{position}]/"
            try:
                results.append(self.machine(state["Iterator"], prefix, items[position], inner))
            except _Suspend as pause:
                where = {"step": at.number, "index": position, "results": results}
                pause.frames.insert(0, {"state": at.name, "data": data, "retries": at.retries, "map": where})
                raise
        log.output = results
        return results

    # -------------------------------------------------------------- errors

    def recover(
        self, name: str, retries: int, state: dict[str, Any], data: Any, failure: _Failure
    ) -> tuple[str | None, Any, int]:
        """After a state failed: run it again (at once, or as a continuation), or go to
        its catcher; otherwise the failure goes on up (to a Map, or ends the flow)."""
        delay = self.retry_delay(state, retries, failure)
        if delay is not None:
            if delay <= 0:
                return name, data, retries + 1
            raise _Suspend(delay, {"state": name, "data": data, "retries": retries + 1})
        catchers = state.get("Catch")
        if catchers:
            # Validation allows only ErrorEquals ["States.ALL"], so the first catcher
            # takes every error.
            catcher = catchers[0]
            details = {"Error": failure.error, "Cause": failure.cause}
            try:
                data = write_result_path(data, catcher.get("ResultPath", "$"), details)
            except PathError as exc:
                raise _runtime(exc) from None
            return str(catcher["Next"]), data, 0
        raise failure

    def retry_delay(self, state: dict[str, Any], retries: int, failure: _Failure) -> float | None:
        retriers = state.get("Retry")
        if not retriers or not failure.retryable:
            return None
        retrier = retriers[0]
        if retries >= retrier.get("MaxAttempts", DEFAULT_RETRY_MAX_ATTEMPTS):
            return None
        interval = retrier.get("IntervalSeconds", DEFAULT_RETRY_INTERVAL_SECONDS)
        delay = float(interval * retrier.get("BackoffRate", DEFAULT_RETRY_BACKOFF_RATE) ** retries)
        if self.elapsed() + delay > self.limits.max_seconds:
            return None
        return delay

    # -------------------------------------------------------------- records

    def keep_and_report(self, step: StepRecord) -> None:
        self.records.append(step)
        assert self.on_step is not None
        self.on_step(step)
