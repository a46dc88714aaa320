"""End-to-end latency on the local stack, before and after the router: ingest accepted ->
receiver called, p50 and p95.

Two `hookyard dev` processes run at once (`python -m hookyard_dev.cli dev`, as
tests/e2e/conftest.py starts it, each on a free port with its own embedded AWS):

  after    this tree: bus -> one fixed rule -> RoutingQueue -> router -> DeliveryQueue
  before   commit BEFORE (48c66eb), extracted with `git archive`: bus -> one rule per
           webhook -> DeliveryQueue

Both run in this virtualenv: `python -m` with the extracted tree as working directory
puts that tree's hookyard_dev first on sys.path, and its template's code paths are that
tree's. The benchmark checks that each stack is what it should be: the after stack has a
routing queue, the before stack none (the rules on each bus are counted and printed).

In each stack: a webhook (webhooks API) to a local receiver (tests/e2e/receiver.py; path
/before or /after), subscribed to the event type of an inbound webhook (inbound webhooks
API). Then events go in one at a time, alternating stacks in the order
before, after, after, before, ... (so load from the other engineers' work falls on both
alike; the idle stack keeps polling meanwhile), after a few untimed warm-up events. Each
event is timed from ingest's 200 response reaching the client to the request reaching the
receiver (the receiver's own `time.monotonic()` stamp), with the next event sent only
once it arrived, after a pause drawn at random from 0 to one poll pause (a fixed seed).
Without it the poll phase an event meets would be set by the previous event's timing
(a poller pauses after the empty receive that follows each batch), not sampled.

The hop the router adds is one more SQS event source mapping: the local stack's poller
pauses IDLE_PAUSE_SECONDS between empty receives (hookyard_dev/poller.py), so one poll
period is that pause plus an empty ReceiveMessage. The target: the median and p95 latency
grow by no more than IDLE_PAUSE_SECONDS. The period is measured too: after every event,
one empty ReceiveMessage (the poller's own request) on a probe queue of each stack's
embedded AWS, which serialises requests, so it waits for the pollers as theirs do.

What to expect: the stack's pollers start together with the same period and queue on
the embedded AWS's one lock, so they tend to tick in step. Then the router receives an
event at a tick and sends it on tens of milliseconds later, just after the delivery
poller's receive of the same tick came back empty, and the delivery poller sees it one
full period later, whatever the router's own time. Pollers out of step would make it
half a period on average, plus the router's time. So the hop costs between half a period
and a whole one. Lambda's SQS pollers long-poll: on AWS the hop is the pick-up of a long
poll and the router's duration.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import median, require, verdict

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "48c66eb"  # the last commit with one EventBridge rule per webhook
SOURCE, EVENT_TYPE = "shop", "order.Paid"
READY = re.compile(r"hookyard dev ready on (?P<url>http://\S+) \(embedded AWS at (?P<aws>http://[^)]+)\)")
EVENTS = 30
SEED = 9  # the pauses between events
START_TIMEOUT = 120.0
ARRIVAL_TIMEOUT = 30.0


def idle_pause_seconds() -> float:
    from hookyard_dev.poller import IDLE_PAUSE_SECONDS

    return IDLE_PAUSE_SECONDS


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile, interpolated between the nearest samples."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ------------------------------------------------------------------ one local stack


@dataclass
class DevStack:
    name: str
    process: subprocess.Popen[str]
    url: str
    aws_endpoint: str
    token: str
    output: list[str]
    ingest_url: str = ""
    ingest_auth: tuple[str, str] = ("", "")
    probe_url: str = ""
    sent: int = 0
    sqs: Any = None

    def client(self, service: str) -> Any:
        from hookyard_dev.embedded_aws import embedded_client

        return embedded_client(self.aws_endpoint, service)

    def api(self, method: str, path: str, json_body: dict[str, Any]) -> Any:
        import requests

        response = requests.request(
            method, self.url + path, headers={"Authorization": f"Bearer {self.token}"}, json=json_body, timeout=30
        )
        require(response.status_code == 201, f"{self.name}: {method} {path} answered {response.status_code}")
        return response.json()

    def set_up(self, receiver_url: str) -> None:
        """A webhook to the receiver, and an inbound webhook for events it subscribes to."""
        self.api(
            "POST",
            "/api/v2/webhooks",
            {
                "webhook": {
                    "name": f"latency {self.name}",
                    "endpoint": f"{receiver_url}/{self.name}",
                    "http_method": "POST",
                    "request_format": "json",
                    "status": "active",
                    "subscriptions": [f"{SOURCE}:event-type:{EVENT_TYPE}"],
                }
            },
        )
        inbound = self.api(
            "POST",
            "/api/services/zis/inbound_webhooks/generic/latency",
            {"source_system": SOURCE, "event_type": EVENT_TYPE},
        )
        self.ingest_url = self.url + inbound["path"]
        self.ingest_auth = (inbound["username"], inbound["password"])
        self.sqs = self.client("sqs")
        self.probe_url = self.sqs.create_queue(QueueName="bench-latency-probe")["QueueUrl"]

    def empty_receive_ms(self) -> float:
        """One empty receive, as the stack's pollers make it."""
        started = time.perf_counter()
        answer = self.sqs.receive_message(
            QueueUrl=self.probe_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        elapsed = (time.perf_counter() - started) * 1000
        require(not answer.get("Messages"), f"{self.name}: the probe queue is not empty")
        return elapsed

    def layout(self) -> tuple[bool, int]:
        """(has a routing queue, rules on the Hookyard bus)."""
        queues = [u for u in self.client("sqs").list_queues().get("QueueUrls", []) if u != self.probe_url]
        events = self.client("events")
        buses = [b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default"]
        rules = sum(len(events.list_rules(EventBusName=bus)["Rules"]) for bus in buses)
        return any("RoutingQueue" in url for url in queues), rules

    def ingest(self) -> tuple[float, float]:
        """Send one event; (when its 200 arrived, how long the request took), monotonic s."""
        import requests

        self.sent += 1
        started = time.monotonic()
        response = requests.post(
            self.ingest_url, auth=self.ingest_auth, json={"order": {"id": self.sent, "status": "paid"}}, timeout=30
        )
        accepted = time.monotonic()
        require(response.status_code == 200, f"{self.name}: ingest answered {response.status_code}")
        return accepted, accepted - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(name: str, cwd: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    token = f"hy_bench_latency_{name}"
    # Each tree finds its own code, and each stack sets its own AWS and function
    # environment (`make bench` runs this after benchmarks that set some of those names).
    env = {
        name: value
        for name, value in os.environ.items()
        if name != "PYTHONPATH" and not name.startswith(("AWS_", "POWERTOOLS_"))
    }
    env.update(
        {"PORT": str(_free_port()), "HOOKYARD_TOKEN": token, "HOOKYARD_OPERATOR_TOKEN": f"op_bench_latency_{name}"}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "hookyard_dev.cli", "dev"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    return process, token, []


def _wait_ready(name: str, process: subprocess.Popen[str], token: str, output: list[str]) -> DevStack:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    ready: re.Match[str] | None = None
    while ready is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        ready = READY.search(line)
    require(ready is not None, f"the {name} stack did not become ready:\n" + "".join(output[-30:]))
    assert ready is not None
    stdout = process.stdout
    # Keep draining its output so the pipe never blocks the stack.
    threading.Thread(target=lambda: output.extend(stdout), daemon=True).start()
    return DevStack(name, process, ready["url"], ready["aws"], token, output)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_stacks(before_tree: Path, after_tree: Path) -> Iterator[dict[str, DevStack]]:
    """Both stacks, started at once, stopped on the way out."""
    started = {name: _start(name, cwd) for name, cwd in (("before", before_tree), ("after", after_tree))}
    try:
        yield {name: _wait_ready(name, *args) for name, args in started.items()}
    finally:
        for process, _, _ in started.values():
            _stop(process)


@contextmanager
def extracted(commit: str) -> Iterator[Path]:
    """The tree of `commit`, from `git archive`, in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="hookyard-bench-before-") as tmp:
        git = shutil.which("git")
        require(git is not None, "git is needed to extract the before tree")
        assert git is not None
        archive = subprocess.run([git, "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=False)
        require(archive.returncode == 0, f"git archive {commit} failed: {archive.stderr.decode().strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


# ------------------------------------------------------------------ the measurement


@dataclass
class Side:
    latency_ms: list[float] = field(default_factory=list)
    ingest_ms: list[float] = field(default_factory=list)
    receive_ms: list[float] = field(default_factory=list)  # an empty ReceiveMessage

    @property
    def p50(self) -> float:
        return median(self.latency_ms)

    @property
    def p95(self) -> float:
        return percentile(self.latency_ms, 95)

    def to_json(self) -> dict[str, Any]:
        return {
            "p50_ms": round(self.p50, 1),
            "p95_ms": round(self.p95, 1),
            "min_ms": round(min(self.latency_ms), 1),
            "max_ms": round(max(self.latency_ms), 1),
            "ingest_request_p50_ms": round(median(self.ingest_ms), 1),
            "empty_receive_p50_ms": round(median(self.receive_ms), 1),
            "samples_ms": [round(s, 1) for s in self.latency_ms],
        }


@dataclass
class LatencyResult:
    events: int
    before_commit: str
    after_commit: str | None  # None: this tree
    idle_pause_s: float
    before: Side
    after: Side
    layout: dict[str, dict[str, Any]]
    elapsed_s: float

    @property
    def p50_added_ms(self) -> float:
        return self.after.p50 - self.before.p50

    @property
    def p95_added_ms(self) -> float:
        return self.after.p95 - self.before.p95

    @property
    def budget_ms(self) -> float:
        return self.idle_pause_s * 1000

    @property
    def period_ms(self) -> float:
        """One poll period of the after stack: the pause and an empty receive."""
        return self.budget_ms + median(self.after.receive_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "events_per_stack": self.events,
            "before_commit": self.before_commit,
            "after_commit": self.after_commit or "this tree",
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "p50_added_ms": round(self.p50_added_ms, 1),
            "p95_added_ms": round(self.p95_added_ms, 1),
            "poll_interval_ms": self.budget_ms,
            "poll_period_ms": round(self.period_ms, 1),
            "p50_verdict": verdict(self.p50_added_ms, self.budget_ms),
            "p95_verdict": verdict(self.p95_added_ms, self.budget_ms),
            "layout": self.layout,
            "elapsed_s": round(self.elapsed_s, 1),
        }


def _one(stack: DevStack, receiver: Any, side: Side | None) -> None:
    accepted, request_s = stack.ingest()
    arrived = receiver.wait_for(stack.sent, f"/{stack.name}", timeout=ARRIVAL_TIMEOUT)[stack.sent - 1]
    receive_ms = stack.empty_receive_ms()
    if side is not None:
        side.latency_ms.append((arrived.at - accepted) * 1000)
        side.ingest_ms.append(request_s * 1000)
        side.receive_ms.append(receive_ms)


def run(
    events: int = EVENTS, warmup: int = 3, before_commit: str = BEFORE, after_commit: str | None = None
) -> LatencyResult:
    from tests.e2e.receiver import running_receiver

    started = time.perf_counter()
    sides = {"before": Side(), "after": Side()}
    layout: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        before_tree = stack.enter_context(extracted(before_commit))
        after_tree = ROOT if after_commit is None else stack.enter_context(extracted(after_commit))
        receiver = stack.enter_context(running_receiver())
        stacks = stack.enter_context(running_stacks(before_tree, after_tree))
        for name, dev in stacks.items():
            dev.set_up(receiver.url)
            routing_queue, rules = dev.layout()
            layout[name] = {"routing_queue": routing_queue, "bus_rules_with_one_webhook": rules}
        require(
            layout["after"]["routing_queue"] and not layout["before"]["routing_queue"],
            f"the stacks are not the trees they should be: {layout}",
        )
        rng = random.Random(SEED)
        for number in range(warmup + events):
            order = ("before", "after") if number % 2 == 0 else ("after", "before")
            for name in order:
                time.sleep(rng.uniform(0, idle_pause_seconds()))
                _one(stacks[name], receiver, sides[name] if number >= warmup else None)
    return LatencyResult(
        events=events,
        before_commit=before_commit,
        after_commit=after_commit,
        idle_pause_s=idle_pause_seconds(),
        before=sides["before"],
        after=sides["after"],
        layout=layout,
        elapsed_s=time.perf_counter() - started,
    )


def describe(events: int, before_commit: str = BEFORE, after_commit: str | None = None) -> str:
    return (
        f"latency: hookyard dev for {after_commit or 'this tree'} and for {before_commit} side by side, "
        f"{events} events each (+3 warm-up), one at a time, alternating ..."
    )


def main(argv: list[str]) -> int:
    import argparse

    from bench.report import print_latency

    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=EVENTS, help=f"timed events per stack (default {EVENTS})")
    parser.add_argument("--before", default=BEFORE, help=f"the commit to compare with (default {BEFORE})")
    parser.add_argument("--after", default=None, help="a commit to measure instead of this tree")
    args = parser.parse_args(argv)
    print(describe(args.events, args.before, args.after), flush=True)
    print_latency(run(args.events, before_commit=args.before, after_commit=args.after))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
