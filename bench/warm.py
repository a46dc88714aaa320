"""Warm ingest: time per request of the built ingest handler, in this process.

The handler is imported from the host build (the function's folder and the layer's
python/ first on sys.path; boto3 from this virtualenv, as the Lambda runtime provides
it). The AWS clients are replaced at the `hookyard.aws` seam by in-memory fakes that
answer like the real ones, so what is timed is our code: parsing, the lookup's item
mapping, basic auth, the event entry, the answer. Logging runs at the deployed level
(INFO: accepted events are DEBUG lines, so none is written; refusals would be) and any
output goes to /dev/null at the file-descriptor level, through the same stream object
Powertools writes to.

The baseline is the irreducible work of the same request: decode the Basic
credentials, one SHA-256 compared in constant time, parse the body, serialize a detail
holding the body. Blocks of calls alternate between the two (AB BA AB ...); each block
is timed in CPU time (on a shared machine, the time spent waiting for a core is left
out) and in wall time, and each round's ratio is the handler's block over the baseline's
block next to it. A run's ratio is the median over its rounds; with several runs
(`runs`, the same imported handler) the figure is the median run.
"""

from __future__ import annotations

import base64
import functools
import gc
import hashlib
import hmac
import importlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.payloads import (
    CONFIG_TABLE,
    EVENT_BUS,
    INGEST_ITEM,
    INGEST_KEY,
    PASSWORD_HASH,
    TICKET_CREATED,
    USERNAME,
    ingest_event,
)
from bench.stats import Runs, alternating, median, paired_ratios, require, spread, verdict
from hookyard_dev.buildcheck import handler_paths, runtime_dir

FUNCTION = "IngestFunction"
TARGET = 2.0
ENVIRONMENT = {
    "CONFIG_TABLE_NAME": CONFIG_TABLE,
    "EVENT_BUS_NAME": EVENT_BUS,
    "INGEST_MAX_BODY_BYTES": "204800",  # as template.yaml sets it
    "POWERTOOLS_LOG_LEVEL": "INFO",  # the template's default LogLevel
    "POWERTOOLS_METRICS_NAMESPACE": "Hookyard",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "hookyard-IngestFunction-bench",
}
_METADATA = {"HTTPStatusCode": 200, "RequestId": "bench", "HTTPHeaders": {}, "RetryAttempts": 0}

Handler = Callable[[dict[str, Any], Any], Any]


class FakeDynamoDB:
    """`get_item` of the ingest lookup item, by exact key, as botocore returns it."""

    def __init__(self) -> None:
        self.calls = 0

    def get_item(self, *, TableName: str, Key: dict[str, Any], ConsistentRead: bool = False) -> dict[str, Any]:
        self.calls += 1
        if TableName == CONFIG_TABLE and Key == INGEST_KEY:
            return {"Item": INGEST_ITEM, "ResponseMetadata": _METADATA}
        return {"ResponseMetadata": _METADATA}


class FakeEvents:
    """`put_events` that accepts every entry (keeps the last batch for the check)."""

    def __init__(self) -> None:
        self.last: list[dict[str, Any]] = []

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.last = Entries
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "x"}], "ResponseMetadata": _METADATA}


def baseline_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The irreducible work of one ingest request."""
    encoded = event["headers"]["Authorization"].partition(" ")[2]
    username, _, password = base64.b64decode(encoded).decode().partition(":")
    ok = hmac.compare_digest(hashlib.sha256(password.encode()).hexdigest(), PASSWORD_HASH)
    if not ok or username != USERNAME:
        return {"statusCode": 401, "body": '"Authentication failed"'}
    detail = json.dumps({"body": json.loads(event["body"])}, ensure_ascii=False, separators=(",", ":"))
    return {"statusCode": 200, "body": "null", "bytes": len(detail)}


@contextmanager
def stdout_fd_to(path: str) -> Iterator[None]:
    """Point file descriptor 1 at `path`: Powertools holds the `sys.stdout` object it
    found at import, so swapping `sys.stdout` would not reach it."""
    sys.stdout.flush()
    saved = os.dup(1)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.dup2(target, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(target)


def _top_level_names(folder: Path) -> set[str]:
    names = set()
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
        elif entry.suffix == ".py":
            names.add(entry.stem)
    return names


def load_handler(build_dir: Path) -> tuple[Handler, dict[str, Any]]:
    """Import the built ingest handler and put fakes behind `hookyard.aws`."""
    paths, module_name, function_name = handler_paths(build_dir)[FUNCTION]
    runtime = str(runtime_dir(build_dir).resolve())
    front = [p for p in paths if p != runtime]  # boto3 comes from this virtualenv
    owned = set().union(*(_top_level_names(Path(p)) for p in front))
    already = sorted(name for name in sys.modules if name.split(".", 1)[0] in owned)
    if already:
        raise SystemExit(f"imported before the build output was on sys.path: {already}")
    sys.path[:0] = front
    os.environ.update(ENVIRONMENT)
    module = importlib.import_module(module_name)
    handler: Handler = getattr(module, function_name)

    stray = sorted(
        name
        for name, mod in list(sys.modules.items())
        if name.split(".", 1)[0] in owned
        and getattr(mod, "__file__", None)
        and not any(str(mod.__file__).startswith(p + os.sep) for p in front)
    )
    if stray:
        raise SystemExit(f"modules not loaded from {build_dir}: {stray}")

    fakes: dict[str, Any] = {"dynamodb": FakeDynamoDB(), "events": FakeEvents()}
    aws: Any = importlib.import_module("hookyard.aws")
    # The same shape as the real seam: a cached factory by service name.
    aws._client = functools.cache(fakes.__getitem__)
    return handler, fakes


def check_success_path(handler: Handler, fakes: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """One request outside the timing: 200 null, one lookup, one event with the body,
    and no log line at INFO (accepted events are logged at DEBUG)."""
    with tempfile.TemporaryDirectory(prefix="hookyard-bench-") as tmp:
        log_path = os.path.join(tmp, "stdout.log")
        with stdout_fd_to(log_path):
            response = handler(event, context)
        log_lines = Path(log_path).read_text().splitlines()
    require(response["statusCode"] == 200, f"ingest answered {response['statusCode']}: {response.get('body')}")
    require(response["body"] == "null", f"ingest answered 200 with body {response['body']!r}")
    require(fakes["dynamodb"].calls == 1, "the ingest lookup did not reach the fake DynamoDB exactly once")
    entries = fakes["events"].last
    require(len(entries) == 1, f"expected one PutEvents entry, got {entries}")
    entry = entries[0]
    require(entry["EventBusName"] == EVENT_BUS, f"event sent to the wrong bus: {entry}")
    require(entry["Source"] == INGEST_ITEM["source_system"]["S"], f"event has the wrong source: {entry}")
    require(json.loads(entry["Detail"])["body"] == TICKET_CREATED, "the event does not carry the request body")
    require(log_lines == [], f"expected no INFO log line for an accepted event, got {log_lines}")
    require(baseline_handler(event, context)["statusCode"] == 200, "the baseline refused the request")


@dataclass
class WarmRun:
    """One run: per block, µs per call of CPU time (what ratios use) and of wall time."""

    handler_us: list[float]
    baseline_us: list[float]
    handler_wall_us: list[float]
    baseline_wall_us: list[float]
    load: tuple[float, float]  # 1-minute load average when the run started and ended

    @property
    def ratios(self) -> list[float]:
        """Each handler block over the baseline block next to it."""
        return paired_ratios(self.handler_us, self.baseline_us)

    @property
    def wall_ratios(self) -> list[float]:
        return paired_ratios(self.handler_wall_us, self.baseline_wall_us)

    def to_json(self) -> dict[str, Any]:
        return {
            "load_average": {"start": round(self.load[0], 2), "end": round(self.load[1], 2)},
            "handler_cpu_us": spread(self.handler_us).to_json(2),
            "baseline_cpu_us": spread(self.baseline_us).to_json(2),
            "handler_wall_us": spread(self.handler_wall_us).to_json(2),
            "baseline_wall_us": spread(self.baseline_wall_us).to_json(2),
            "ratio": spread(self.ratios).to_json(),
            "wall_ratio": spread(self.wall_ratios).to_json(),
        }


@dataclass
class WarmResult:
    blocks: int
    calls_per_block: int
    body_bytes: int
    runs: list[WarmRun]

    def pooled(self, name: str) -> list[float]:
        return [value for run in self.runs for value in getattr(run, name)]

    @property
    def handler_us(self) -> list[float]:
        return self.pooled("handler_us")

    @property
    def baseline_us(self) -> list[float]:
        return self.pooled("baseline_us")

    @property
    def ratio(self) -> Runs:
        """The run medians of the paired block ratios."""
        return Runs([median(run.ratios) for run in self.runs])

    def to_json(self) -> dict[str, Any]:
        return {
            "blocks": self.blocks,
            "calls_per_block": self.calls_per_block,
            "body_bytes": self.body_bytes,
            "measure": "CPU time per call over a block, over the baseline block next to it",
            "ratio": self.ratio.to_json(),
            "ratio_of_pairs": spread(self.pooled("ratios")).to_json(),
            "target": TARGET,
            "verdict": verdict(self.ratio.median, TARGET),
            "runs": [run.to_json() for run in self.runs],
        }


def _time_block(function: Handler, event: dict[str, Any], context: Any, calls: int) -> tuple[float, float]:
    """Microseconds per call over one block: (CPU time, wall time)."""
    started, cpu_started = time.perf_counter_ns(), time.process_time_ns()
    for _ in range(calls):
        function(event, context)
    cpu, wall = time.process_time_ns() - cpu_started, time.perf_counter_ns() - started
    return cpu / calls / 1000, wall / calls / 1000


def run_once(handler: Handler, event: dict[str, Any], context: Any, blocks: int, calls: int) -> WarmRun:
    samples: dict[str, list[tuple[float, float]]] = {"handler": [], "baseline": []}
    functions: dict[str, Handler] = {"handler": handler, "baseline": baseline_handler}
    load_start = os.getloadavg()[0]
    with stdout_fd_to(os.devnull):
        _time_block(handler, event, context, calls)  # warm-up, not recorded
        _time_block(baseline_handler, event, context, calls)
        for pair in alternating(("handler", "baseline"), blocks):
            gc.collect()
            for name in pair:
                samples[name].append(_time_block(functions[name], event, context, calls))
    return WarmRun(
        [cpu for cpu, _ in samples["handler"]],
        [cpu for cpu, _ in samples["baseline"]],
        [wall for _, wall in samples["handler"]],
        [wall for _, wall in samples["baseline"]],
        (load_start, os.getloadavg()[0]),
    )


def run(build_dir: Path, blocks: int = 30, calls: int = 300, runs: int = 1) -> WarmResult:
    handler, fakes = load_handler(build_dir)
    event = ingest_event()
    context = SimpleNamespace(
        function_name=ENVIRONMENT["AWS_LAMBDA_FUNCTION_NAME"],
        memory_limit_in_mb=1024,
        aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:hookyard-IngestFunction-bench",
    )
    check_success_path(handler, fakes, event, context)
    results = [run_once(handler, event, context, blocks, calls) for _ in range(runs)]
    return WarmResult(blocks, calls, len(event["body"].encode()), results)
