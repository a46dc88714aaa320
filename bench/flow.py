"""Flow transitions as the flow runner pays for them: `python -m bench.flow` (and part of
`make bench`).

The subject is what the flow runner does per state transition before the network:
`hookyard.flows.engine.run_flow` over a validated flow of 200 transitions, then
`ActivityRepository.record_steps` on its step records, as the runner stores them: each
record becomes its DynamoDB item (the output's JSON text, cut once; the key; the times)
and the items go in batches of 25 to a DynamoDB client that here takes them and does
nothing (the requests themselves are AWS's time, not ours).

The flow: Pass and Choice states alternating (100 Pass, 99 Choice, then Succeed) over a
flow input holding the Zendesk ticket-created body. Each Pass resolves Parameters with
two `.$` JSONPath reads and writes its result at ResultPath `$.acc.n`; each Choice reads
what the Pass wrote (StringEquals, which does not match) and the account id
(NumericGreaterThan, which does). There are no Action states, so the executor is never
called. run_flow runs with its defaults, as the flow runner calls it.

The baseline is a plain Python loop doing the same reads, writes and comparisons for
the same 200 steps, and building the same items in the most direct way: the time
(hookyard.clock, as the runner's) as each step starts and ends, json.dumps of each
output (one encoder, made once), one dict per item, batches of 25 to the same client. Its items must equal the
runner's but for the times, and its flow output the engine's. The paths are parsed once
with jsonpath-ng (the engine's library) and evaluated the way the engine evaluates these
plain paths, by walking the parsed field names through the dicts; each write makes a new
dict along `$.acc.n`, as the engine's ResultPath does (copy on write).

For reference, not the target: run_flow alone against the plain loop alone (the target
before the records counted), and the same loop through jsonpath-ng's own API
(`find()`, `update_or_create()`), which costs far more per read than the dict walk the
engine really does.

Blocks of runs rotate the five subjects (their order reverses every other block: ABCDE
EDCBA ...); each figure is the median over blocks, with the 25th-75th percentiles. When
the ratio is over target, a cProfile of the subject shows where its time goes.

The engine and the store come from the host build's layer (CommonLayer/python, the code
that is deployed; `make build-host`), or with `--source` from this tree, for
development; the module checks where `hookyard.flows`, `hookyard.dal` and `jsonpath_ng`
really came from.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import importlib
import json
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.payloads import TICKET_CREATED
from bench.stats import median, quartiles, require, verdict
from hookyard_dev.buildcheck import handler_paths

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = "FlowRunnerFunction"  # the function that runs flows; its layer holds the engine
TARGET = 3.0
PASS_STATES = 100  # + 99 Choice states + Succeed = 200 transitions (the limit is 250)
ACTIVITY_TABLE = "hookyard-bench-ActivityTable"
ACCOUNT_ID = 1
EXECUTION_ID = "bench-execution"
ATTEMPT = 1

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


class TakingDynamoDB:
    """A DynamoDB client that takes batches of writes and does nothing with them (or, for
    the checks, keeps them)."""

    def __init__(self) -> None:
        self.keep = False
        self.items: list[dict[str, Any]] = []

    def batch_write_item(self, *, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        if self.keep:
            self.items += [request["PutRequest"]["Item"] for request in RequestItems[ACTIVITY_TABLE]]
        return {}


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


def plain_loop(passes: int = PASS_STATES, record: Callable[..., None] | None = None) -> Run:
    """The flow's reads, writes and comparisons as a plain loop; with `record`, each step
    calls record(key, name, type, output, started) as it ends."""
    parse: Any = importlib.import_module("jsonpath_ng.parser").parse
    now: Callable[[], Any] = importlib.import_module("hookyard.clock").now
    status, priority, account, result_at, choice_status = (
        _fields(parse(text)) for text in (STATUS_PATH, PRIORITY_PATH, ACCOUNT_PATH, RESULT_PATH, CHOICE_STATUS_PATH)
    )

    def run(data: dict[str, Any]) -> Any:
        for i in range(passes):
            started = now() if record else None
            result = {"status": _get(data, status), "priority": _get(data, priority), "step": i}
            data = _set(data, result_at, result)
            if record:
                record(f"{2 * i + 1}:Read{i}", f"Read{i}", "Pass", result, started)
            if i == passes - 1:
                break
            started = now() if record else None
            value = _get(data, choice_status)
            if isinstance(value, str) and value == CLOSED:
                raise AssertionError("the baseline took the wrong branch")
            value = _get(data, account)
            if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
                raise AssertionError("the baseline took the wrong branch")
            if record:
                record(f"{2 * i + 2}:Check{i}", f"Check{i}", "Choice", {"Next": f"Read{i + 1}"}, started)
        if record:
            record(f"{2 * passes}:Done", "Done", "Succeed", None, now())
        return data

    return run


def plain_records(client: TakingDynamoDB, passes: int = PASS_STATES) -> Run:
    """The baseline: the plain loop, building each step's item as it ends, then handing
    them to the client 25 at a time."""
    clock: Any = importlib.import_module("hookyard.clock")
    now, iso = clock.now, clock.iso
    to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # made once, as the store's
    pk, prefix = f"EXEC#{ACCOUNT_ID}#{EXECUTION_ID}", f"STEP#{ATTEMPT}:"
    items: list[dict[str, Any]] = []
    expires = {"N": str(int(time.time()) + 7 * 86_400)}

    def record(key: str, name: str, kind: str, output: Any, started: Any) -> None:
        item = {
            "PK": {"S": pk},
            "SK": {"S": prefix + key},
            "name": {"S": name},
            "type": {"S": kind},
            "started_at": {"S": iso(started)},
            "ended_at": {"S": iso(now())},
            "expires_at": expires,
        }
        if output is not None:
            text = to_json(output)
            item["output"] = {
                "S": text if len(text) <= 2048 else f"{text[:2048]}... (truncated, {len(text)} characters)"
            }
        items.append(item)

    loop = plain_loop(passes, record)

    def run(data: dict[str, Any]) -> Any:
        items.clear()
        output = loop(data)
        for start in range(0, len(items), 25):
            client.batch_write_item(
                RequestItems={ACTIVITY_TABLE: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
            )
        return output

    return run


def jsonpath_api_loop(passes: int = PASS_STATES) -> Run:
    """Informational: the plain loop through jsonpath-ng's find() and update_or_create()."""
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

CHECKED_MODULES = ("hookyard.flows.engine", "hookyard.flows.paths", "hookyard.dal.activity", "jsonpath_ng")


def code_paths(build_dir: Path | None) -> list[str]:
    """Where the engine and the store come from: the build's layer, or this tree's."""
    if build_dir is None:
        return [str(ROOT / "layers" / "common")]
    paths = handler_paths(build_dir)[FUNCTION][0]
    return paths[1:-1]  # [code folder, *layers, lambda-runtime]


def load(build_dir: Path | None) -> tuple[Any, Any]:
    """`hookyard.flows.engine` and `hookyard.dal.activity` from the build's layers or this
    tree (put first on sys.path where the warm benchmark has not: it puts CommonLayer
    there, not FlowsLayer)."""
    paths = code_paths(build_dir)
    sys.path[:0] = [p for p in paths if p not in sys.path]
    if build_dir is None:  # jsonpath_ng from this virtualenv
        require(importlib.import_module("jsonpath_ng"), "jsonpath_ng is not installed")
    engine = importlib.import_module("hookyard.flows.engine")
    activity = importlib.import_module("hookyard.dal.activity")
    for name in CHECKED_MODULES if build_dir is not None else CHECKED_MODULES[:-1]:
        where = str(getattr(sys.modules[name], "__file__", ""))
        require(any(where.startswith(p) for p in paths), f"{name} was loaded from {where}, not from {paths}")
    return engine, activity


@contextmanager
def dynamodb_behind_the_seam(client: TakingDynamoDB) -> Iterator[None]:
    """`hookyard.aws.dynamodb()` answers with `client` meanwhile (the warm benchmark may
    have put its own fakes there: they come back after)."""
    aws: Any = importlib.import_module("hookyard.aws")
    before = aws._client
    aws._client = lambda name: client if name == "dynamodb" else before(name)
    try:
        yield
    finally:
        aws._client = before


def check_flow_definition(definition: dict[str, Any]) -> None:
    language: Any = importlib.import_module("hookyard.flows.language")
    problems: list[str] = []
    language.check_flow(
        definition, "$", lambda path, message: problems.append(f"{path}: {message}"), integration="bench", actions=set()
    )
    require(not problems, f"the benchmark flow is not valid: {problems}")


def untimed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k not in ("started_at", "ended_at", "expires_at")} for item in items]


@dataclass
class FlowResult:
    transitions: int
    blocks: int
    runs_per_block: int
    source: str  # where the engine and the store came from
    runner_us: list[float]  # run_flow + record_steps: the target's subject
    baseline_us: list[float]  # the plain loop building the same items
    engine_us: list[float]  # run_flow alone (reference)
    plain_us: list[float]  # the plain loop alone (reference)
    jsonpath_us: list[float]  # the plain loop through jsonpath-ng's API (reference)
    profile: list[tuple[str, float, float]] = field(default_factory=list)  # (function, cumulative %, own %)

    @property
    def ratio(self) -> float:
        return median(self.runner_us) / median(self.baseline_us)

    @property
    def engine_ratio(self) -> float:
        return median(self.engine_us) / median(self.plain_us)

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
            "source": self.source,
            "runner_per_transition": one(self.runner_us),
            "baseline_per_transition": one(self.baseline_us),
            "engine_per_transition": one(self.engine_us),
            "plain_loop_per_transition": one(self.plain_us),
            "jsonpath_api_per_transition": one(self.jsonpath_us),
            "ratio": round(self.ratio, 3),
            "engine_ratio": round(self.engine_ratio, 3),
            "engine_ratio_vs_jsonpath_api": round(self.jsonpath_ratio, 3),
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
_WRAPPERS = frozenset({"run_flow", "machine", "dispatch", "runner_run"})


def profile_run(run: Run, data: dict[str, Any], runs: int = 30, top: int = 10) -> list[tuple[str, float, float]]:
    """The subject's costliest functions under cProfile (which inflates call overhead):
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
        if filename == "~" or name in _WRAPPERS:
            continue  # built-ins (counted in their callers) and frames that only pass control on
        path = Path(filename)
        module = path.parent.name if path.stem == "__init__" else path.stem
        rows.append((f"{module}.{name}", round(100 * cumulative / total, 1), round(100 * own / total, 1)))
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows[:top]


def run(build_dir: Path | None, blocks: int = 20, runs: int = 25) -> FlowResult:
    """Measure, from the build at `build_dir` (None: this source tree)."""
    engine, activity_module = load(build_dir)
    client = TakingDynamoDB()
    with dynamodb_behind_the_seam(client):
        return _measure(
            engine, activity_module, client, blocks, runs, "source tree" if build_dir is None else str(build_dir)
        )


def _measure(
    engine: Any, activity_module: Any, client: TakingDynamoDB, blocks: int, runs: int, source: str
) -> FlowResult:
    definition = flow_definition()
    check_flow_definition(definition)
    executor = NoActions()
    activity = activity_module.ActivityRepository(ACTIVITY_TABLE)

    def engine_run(data: dict[str, Any]) -> Any:
        return engine.run_flow(definition, data, executor, limits=engine.Limits())

    def runner_run(data: dict[str, Any]) -> Any:
        result = engine.run_flow(definition, data, executor, limits=engine.Limits())
        activity.record_steps(ACCOUNT_ID, EXECUTION_ID, ATTEMPT, result.steps)
        return result

    # Outside the timing: every subject gives the same output over the same steps, and
    # the baseline builds the items the runner stores.
    data = flow_input()
    pristine = copy.deepcopy(data)
    client.keep = True
    first = runner_run(data)
    runner_items = list(client.items)
    client.items.clear()
    require(type(first.outcome).__name__ == "Succeeded", f"the flow did not succeed: {first.outcome}")
    transitions = len(first.steps)
    require(transitions == 2 * PASS_STATES, f"expected {2 * PASS_STATES} transitions, the flow ran {transitions}")
    require(len(runner_items) == transitions, f"the runner stored {len(runner_items)} steps, not {transitions}")
    require(data == pristine, "run_flow changed its input")
    baseline = plain_records(client)
    require(baseline(data) == first.outcome.output, "the baseline's output differs from the engine's")
    require(untimed(client.items) == untimed(runner_items), "the baseline's items differ from the runner's")
    client.keep = False
    client.items.clear()
    plain = plain_loop()
    require(plain(data) == first.outcome.output, "the plain loop's output differs from the engine's")
    require(data == pristine, "the baselines changed their input")
    jsonpath_data = copy.deepcopy(data)  # update_or_create writes in place: its own copy
    jsonpath_loop = jsonpath_api_loop()
    require(jsonpath_loop(jsonpath_data) == first.outcome.output, "the jsonpath-ng loop's output differs")

    subjects: list[tuple[Run, dict[str, Any], list[float]]] = [
        (runner_run, data, []),
        (baseline, data, []),
        (engine_run, data, []),
        (plain, data, []),
        (jsonpath_loop, jsonpath_data, []),
    ]
    for function, subject_data, _ in subjects:  # warm-up, not recorded
        _time_block(function, subject_data, runs, transitions)
    for block in range(blocks):
        gc.collect()
        for function, subject_data, samples in subjects if block % 2 == 0 else reversed(subjects):
            samples.append(_time_block(function, subject_data, runs, transitions))
    runner_us, baseline_us, engine_us, plain_us, jsonpath_us = (samples for _, _, samples in subjects)
    result = FlowResult(transitions, blocks, runs, source, runner_us, baseline_us, engine_us, plain_us, jsonpath_us)
    if result.ratio > TARGET:
        result.profile = profile_run(runner_run, data)
    return result


# ------------------------------------------------------------------ printing


def flow_line(result: FlowResult) -> str:
    """The README's sentence."""
    return (
        f"Flow transitions ({result.transitions} Pass/Choice, no-op executor), as the runner pays for them "
        f"(run_flow and the step records it stores, built up to the DynamoDB request): "
        f"{median(result.runner_us):.2f} µs/transition vs baseline {median(result.baseline_us):.2f} µs (a plain loop "
        f"doing the same JSONPath reads, writes and comparisons and building the same items), ratio "
        f"{result.ratio:.2f} (target <= {TARGET:.1f}: {verdict(result.ratio, TARGET)}); run_flow alone "
        f"{median(result.engine_us):.2f} µs vs the plain loop alone {median(result.plain_us):.2f} µs, ratio "
        f"{result.engine_ratio:.2f} (reference)"
    )


def print_flow(result: FlowResult) -> None:
    rows = [
        ("baseline (plain loop + items)", result.baseline_us, ""),
        (
            "run_flow + record_steps",
            result.runner_us,
            f"{result.ratio:6.2f}  <= {TARGET:<4.1f} {verdict(result.ratio, TARGET)}",
        ),
        ("plain loop alone", result.plain_us, ""),
        ("run_flow alone", result.engine_us, f"{result.engine_ratio:6.2f}  (reference: vs the plain loop alone)"),
        (
            "jsonpath-ng API loop",
            result.jsonpath_us,
            f"{result.jsonpath_ratio:6.2f}  (reference only: run_flow alone vs it; the engine does not call find())",
        ),
    ]
    width = max(len(label) for label, _, _ in rows)
    print(f"\n{'per transition':<{width}}  {'median µs':>9}  {'p25-p75 µs':>13}  {'ratio':>6}  {'target':>7}")
    for label, samples, tail in rows:
        q1, q3 = quartiles(samples)
        print(f"{label:<{width}}  {median(samples):9.2f}  {q1:6.2f}-{q3:<6.2f}  {tail}".rstrip())
    if result.profile:
        print("\nrun_flow + record_steps under cProfile (% of profiled time; call overhead is inflated):")
        print(f"  {'function':<32}  {'with callees':>12}  {'own':>5}")
        for function, cumulative, own in result.profile:
            print(f"  {function:<32}  {cumulative:11.1f}%  {own:4.1f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flow", description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build-host")
    parser.add_argument("--source", action="store_true", help="run the engine and the store from this tree")
    parser.add_argument("--blocks", type=int, default=20, help="blocks (default 20)")
    parser.add_argument("--runs", type=int, default=25, help="flow runs per block (default 25)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    build_dir: Path | None = None if args.source else args.build_dir
    if build_dir is not None and not (build_dir / "template.yaml").exists():
        print(f"no build at {build_dir}: run `make build-host` first, or use --source", file=sys.stderr)
        return 2
    print(f"flow: {args.blocks} alternating blocks of {args.runs} runs of a {2 * PASS_STATES}-transition flow ...")
    result = run(build_dir, blocks=args.blocks, runs=args.runs)
    print(f"engine and store from {result.source}")
    print_flow(result)
    print(f"\n{flow_line(result)}")
    if args.json:
        out: Path = args.json
        out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
