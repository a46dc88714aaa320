"""Flow engine: time per state transition of `hookyard.flows.engine.run_flow`, in this process.

The engine is imported from the host build's layer (CommonLayer/python), the code that
is deployed; the warm ingest benchmark already put that folder first on sys.path, and
this module checks that `hookyard.flows` and `jsonpath_ng` really come from it.

The subject: a validated flow of 200 transitions, Pass and Choice states alternating
(100 Pass, 99 Choice, then Succeed), over a flow input holding the Zendesk ticket-created
body. Each Pass resolves Parameters with two `.$` JSONPath reads and writes its result at
ResultPath `$.acc.n`; each Choice reads what the Pass wrote (StringEquals, which does not
match) and the account id (NumericGreaterThan, which does). There are no Action states,
so the executor is never called. run_flow runs with its defaults, as the flow runner
calls it (step records kept, no on_step callback).

run_flow keeps each step's record as raw values and builds the StepRecord objects (JSON
previews, datetimes) only when `result.steps` is read. The flow runner reads them all,
to store them; the subject above does not. So a fourth subject, for reference and not
for the ratio, is run_flow followed by reading `steps`: what a flow costs the runner
before its records go to the database.

The baseline is a plain Python loop doing the same reads, writes and comparisons for the
same 200 steps: the paths are parsed once with jsonpath-ng (the engine's library) and
evaluated the way the engine evaluates these plain paths, by walking the parsed field
names through the dicts (the engine does not call jsonpath-ng's `find()` for such
paths); each write makes a new dict along `$.acc.n`, as the engine's ResultPath does
(copy on write: the data a state received is never changed). Its output must equal the
engine's.

A second, informational loop does the same through jsonpath-ng's own API
(`expr.find(data)` for reads, `expr.update_or_create(data, value)` for writes). It is
printed for reference only: `find()` costs far more per read than the dict walk the
engine really does, so a ratio against it would flatter the engine.

Blocks of runs rotate the four subjects (their order reverses every other block); the
per-transition time of each is the median over blocks. When the ratio is over target,
a cProfile of the engine's runs shows where its time goes.
"""

from __future__ import annotations

import copy
import cProfile
import gc
import importlib
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.payloads import TICKET_CREATED
from bench.stats import median, quartiles, require, verdict
from hookyard_dev.buildcheck import handler_paths

FUNCTION = "FlowRunnerFunction"  # the function that runs flows; its layer holds the engine
TARGET = 3.0
PASS_STATES = 100  # + 99 Choice states + Succeed = 200 transitions (the limit is 250)

STATUS_PATH = "$.input.detail.status"
PRIORITY_PATH = "$.input.detail.priority"
ACCOUNT_PATH = "$.input.account_id"
RESULT_PATH = "$.acc.n"
CHOICE_STATUS_PATH = "$.acc.n.status"
CLOSED = "CLOSED"

Run = Callable[[dict[str, Any]], Any]


def flow_definition(passes: int = PASS_STATES) -> dict[str, Any]:
    """Pass, Choice, Pass, Choice, ..., Pass, Succeed (2 x passes transitions)."""
    states: dict[str, Any] = {}
    for i in range(passes):
        last = i == passes - 1
        states[f"Read{i}"] = {
            "Type": "Pass",
            "Parameters": {"status.$": STATUS_PATH, "priority.$": PRIORITY_PATH, "step": i},
            "ResultPath": RESULT_PATH,
            "Next": "Done" if last else f"Check{i}",
        }
        if not last:
            states[f"Check{i}"] = {
                "Type": "Choice",
                "Choices": [
                    {"Variable": CHOICE_STATUS_PATH, "StringEquals": CLOSED, "Next": "Mismatch"},
                    {"Variable": ACCOUNT_PATH, "NumericGreaterThan": 0, "Next": f"Read{i + 1}"},
                ],
            }
    states["Mismatch"] = {"Type": "Fail", "Error": "Bench.Mismatch", "Cause": "a Choice took the wrong branch"}
    states["Done"] = {"Type": "Succeed"}
    return {"StartAt": "Read0", "States": states}


def flow_input() -> dict[str, Any]:
    """The flow input as the flow runner builds it: `{account_id, integration_key, subdomain, input}`."""
    return {
        "account_id": TICKET_CREATED["account_id"],
        "integration_key": "zendesk_support",
        "subdomain": "bench",
        "input": copy.deepcopy(TICKET_CREATED),
    }


class NoActions:
    """The executor: the flow has no Action states, so it is never called."""

    def call(self, step_key: str, action_name: str, parameters: Any) -> Any:
        raise AssertionError(f"unexpected action {action_name} at {step_key}")


# ------------------------------------------------------------------ the baselines


def _fields(node: Any) -> tuple[str, ...]:
    """The field names of a parsed plain path (`$.a.b` -> ("a", "b"))."""
    jsonpath: Any = importlib.import_module("jsonpath_ng.jsonpath")
    if isinstance(node, jsonpath.Root):
        return ()
    if isinstance(node, jsonpath.Child):
        return _fields(node.left) + _fields(node.right)
    if isinstance(node, jsonpath.Fields) and len(node.fields) == 1:
        return (str(node.fields[0]),)
    raise SystemExit(f"bench: {node} is not a plain field path")


def _get(data: Any, fields: tuple[str, ...]) -> Any:
    for name in fields:
        data = data[name]
    return data


def _set(data: Any, fields: tuple[str, ...], value: Any) -> Any:
    """`data` with `value` at `fields`, new dicts along the path (data is not changed)."""
    if not fields:
        return value
    head = fields[0]
    copied = dict(data) if data is not None else {}
    copied[head] = _set(copied.get(head), fields[1:], value)
    return copied


def plain_loop(passes: int = PASS_STATES) -> Run:
    """The baseline: the flow's reads, writes and comparisons as a plain loop."""
    parse: Any = importlib.import_module("jsonpath_ng.parser").parse
    status, priority, account, result_at, choice_status = (
        _fields(parse(text)) for text in (STATUS_PATH, PRIORITY_PATH, ACCOUNT_PATH, RESULT_PATH, CHOICE_STATUS_PATH)
    )

    def run(data: dict[str, Any]) -> Any:
        for i in range(passes):
            result = {"status": _get(data, status), "priority": _get(data, priority), "step": i}
            data = _set(data, result_at, result)
            if i == passes - 1:
                break
            value = _get(data, choice_status)
            if isinstance(value, str) and value == CLOSED:
                raise AssertionError("the baseline took the wrong branch")
            value = _get(data, account)
            if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
                raise AssertionError("the baseline took the wrong branch")
        return data

    return run


def jsonpath_api_loop(passes: int = PASS_STATES) -> Run:
    """Informational: the same loop through jsonpath-ng's find() and update_or_create()."""
    parse: Any = importlib.import_module("jsonpath_ng.parser").parse
    status, priority, account, result_at, choice_status = (
        parse(text) for text in (STATUS_PATH, PRIORITY_PATH, ACCOUNT_PATH, RESULT_PATH, CHOICE_STATUS_PATH)
    )

    def run(data: dict[str, Any]) -> Any:
        for i in range(passes):
            result = {"status": status.find(data)[0].value, "priority": priority.find(data)[0].value, "step": i}
            data = result_at.update_or_create(data, result)
            if i == passes - 1:
                break
            value = choice_status.find(data)[0].value
            if isinstance(value, str) and value == CLOSED:
                raise AssertionError("the jsonpath-ng loop took the wrong branch")
            value = account.find(data)[0].value
            if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
                raise AssertionError("the jsonpath-ng loop took the wrong branch")
        return data

    return run


# ------------------------------------------------------------------ loading and checks


def load_engine(build_dir: Path) -> Any:
    """`hookyard.flows.engine` from the build's layers (put first on sys.path where the
    warm benchmark has not: it puts CommonLayer there, not FlowsLayer)."""
    paths = handler_paths(build_dir)[FUNCTION][0]
    layers = paths[1:-1]  # [code folder, *layers, lambda-runtime]
    sys.path[:0] = [p for p in layers if p not in sys.path]
    engine = importlib.import_module("hookyard.flows.engine")
    for name in ("hookyard.flows.engine", "hookyard.flows.paths", "jsonpath_ng"):
        where = str(getattr(sys.modules[name], "__file__", ""))
        require(any(where.startswith(p) for p in layers), f"{name} was loaded from {where}, not from {layers}")
    return engine


def check_flow_definition(definition: dict[str, Any]) -> None:
    language: Any = importlib.import_module("hookyard.flows.language")
    problems: list[str] = []
    language.check_flow(
        definition, "$", lambda path, message: problems.append(f"{path}: {message}"), integration="bench", actions=set()
    )
    require(not problems, f"the benchmark flow is not valid: {problems}")


@dataclass
class FlowResult:
    transitions: int
    blocks: int
    runs_per_block: int
    engine_us: list[float]
    baseline_us: list[float]
    jsonpath_us: list[float]
    profile: list[tuple[str, float, float]] = field(default_factory=list)  # (function, cumulative %, own %)
    records_us: list[float] = field(default_factory=list)  # run_flow, then reading its step records

    @property
    def records_ratio(self) -> float:
        return median(self.records_us) / median(self.baseline_us)

    @property
    def ratio(self) -> float:
        return median(self.engine_us) / median(self.baseline_us)

    @property
    def jsonpath_ratio(self) -> float:
        return median(self.engine_us) / median(self.jsonpath_us)

    def to_json(self) -> dict[str, Any]:
        def one(samples: list[float]) -> dict[str, float]:
            q1, q3 = quartiles(samples)
            return {"median_us": round(median(samples), 3), "p25_us": round(q1, 3), "p75_us": round(q3, 3)}

        return {
            "transitions": self.transitions,
            "blocks": self.blocks,
            "runs_per_block": self.runs_per_block,
            "engine_per_transition": one(self.engine_us),
            "baseline_per_transition": one(self.baseline_us),
            "jsonpath_api_per_transition": one(self.jsonpath_us),
            "engine_with_records_read_per_transition": one(self.records_us),
            "ratio": round(self.ratio, 3),
            "ratio_with_records_read": round(self.records_ratio, 3),
            "ratio_vs_jsonpath_api": round(self.jsonpath_ratio, 3),
            "target": TARGET,
            "verdict": verdict(self.ratio, TARGET),
            "profile": [{"function": f, "cumulative_pct": c, "own_pct": o} for f, c, o in self.profile],
        }


def _time_block(run: Run, data: dict[str, Any], runs: int, transitions: int) -> float:
    """Microseconds per transition over one block."""
    started = time.perf_counter_ns()
    for _ in range(runs):
        run(data)
    return (time.perf_counter_ns() - started) / runs / transitions / 1000


# Frames that only pass control on (or, machine, run Pass and Choice inline: its own time
# is that bookkeeping); the profile lists the work below them.
_WRAPPERS = frozenset({"run_flow", "machine", "dispatch"})


def profile_engine(run: Run, data: dict[str, Any], runs: int = 30, top: int = 8) -> list[tuple[str, float, float]]:
    """The engine's costliest functions under cProfile (which inflates call overhead):
    (module.function, % of profiled time including callees, % in the function itself)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        run(data)
    profiler.disable()
    stats: Any = pstats.Stats(profiler)
    total = sum(own for _, _, own, _, _ in stats.stats.values())
    rows = []
    for (filename, _, name), (_, _, own, cumulative, _) in stats.stats.items():
        if filename == "~" or filename == __file__ or name in _WRAPPERS:
            continue  # built-ins (counted in their callers) and the benchmark's own frames
        path = Path(filename)
        module = path.parent.name if path.stem == "__init__" else path.stem
        rows.append((f"{module}.{name}", round(100 * cumulative / total, 1), round(100 * own / total, 1)))
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows[:top]


def run(build_dir: Path, blocks: int = 20, runs: int = 25) -> FlowResult:
    engine = load_engine(build_dir)
    definition = flow_definition()
    check_flow_definition(definition)
    executor = NoActions()

    def engine_run(data: dict[str, Any]) -> Any:
        return engine.run_flow(definition, data, executor, limits=engine.Limits())

    def engine_run_records(data: dict[str, Any]) -> Any:
        result = engine.run_flow(definition, data, executor, limits=engine.Limits())
        return result.steps  # built now, as the flow runner reads them

    # Outside the timing: every subject gives the same output over the same steps.
    data = flow_input()
    pristine = copy.deepcopy(data)
    first = engine_run(data)
    require(type(first.outcome).__name__ == "Succeeded", f"the flow did not succeed: {first.outcome}")
    transitions = len(first.steps)
    require(transitions == 2 * PASS_STATES, f"expected {2 * PASS_STATES} transitions, the flow ran {transitions}")
    require(len(engine_run_records(data)) == transitions, "reading the step records gave another count")
    require(data == pristine, "run_flow changed its input")
    baseline = plain_loop()
    require(baseline(data) == first.outcome.output, "the baseline's output differs from the engine's")
    require(data == pristine, "the baseline changed its input")
    jsonpath_data = copy.deepcopy(data)  # update_or_create writes in place: its own copy
    jsonpath_loop = jsonpath_api_loop()
    require(jsonpath_loop(jsonpath_data) == first.outcome.output, "the jsonpath-ng loop's output differs")

    subjects: list[tuple[Run, dict[str, Any], list[float]]] = [
        (engine_run, data, []),
        (baseline, data, []),
        (jsonpath_loop, jsonpath_data, []),
        (engine_run_records, data, []),
    ]
    for function, subject_data, _ in subjects:  # warm-up, not recorded
        _time_block(function, subject_data, runs, transitions)
    for block in range(blocks):
        gc.collect()
        for function, subject_data, samples in subjects if block % 2 == 0 else reversed(subjects):
            samples.append(_time_block(function, subject_data, runs, transitions))
    result = FlowResult(
        transitions, blocks, runs, subjects[0][2], subjects[1][2], subjects[2][2], records_us=subjects[3][2]
    )
    if result.ratio > TARGET:
        result.profile = profile_engine(engine_run, data)
    return result
