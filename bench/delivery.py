"""Delivery batch concurrency: does a batch of 10 to a slow receiver take one wait, not ten?

Runs in a child process (`python -m bench.delivery OUT.json`): it starts moto in-process
and needs the real AWS clients, while the warm ingest benchmark has put fakes behind
`hookyard.aws` in the parent. The code is the source tree's, as `hookyard dev` and the
integration tests run it: every functions/<name> folder and layers/common on sys.path.

Setup (outside the timing): moto with the template's tables, bus, queues and KMS key,
created by `hookyard_dev.embedded_aws.provision`, and the functions' environment from the
template (OUTBOUND_ALLOW_CIDRS=127.0.0.0/8, so loopback may be called, as the local stack
allows). A webhook is created through the webhooks API handler, subscribed to an event
type and pointing at a ThreadingHTTPServer on 127.0.0.1 that waits `delay` seconds, then
answers 200. Events go in through an inbound webhook and the ingest handler; the bus's
routing rule puts each on the routing queue, and the router handler (untimed) puts one
subscription message per event on the delivery queue.

A sample: ingest n events, receive their n messages from the delivery queue, then time
`delivery.handler.lambda_handler` on the SQS batch (it runs the records in a thread pool).
Afterwards (untimed) it checks that no record failed and the receiver got n requests,
deletes the messages, and empties the activity table: moto's TransactWriteItems
deep-copies the whole table, so its cost would otherwise grow with every sample, and the
per-account rate counter would throttle later samples.

Every round times, in an order that reverses every other round: 1 message and 10
messages to the receiver that waits 200 ms, and the same two against a receiver that
answers at once. Each round's ratio is its batch over its single message (wall time:
the overlap of the waits is what is measured), so a neighbour's load that lasts longer
than a round lands on both sides; a run's ratio is the median over its rounds, and with
several runs (each a fresh child process) the figure is the median run.

moto is not thread-safe, so its calls are serialised by a lock around
BotocoreStubber.__call__ (as tests/integration/conftest.py and `hookyard dev` do), and
each record makes about a dozen DynamoDB and KMS calls. On AWS those calls run
concurrently; here they queue. The time spent inside moto is measured per sample, and
the batch against the instant receiver shows the cost of everything but the wait.
"""

from __future__ import annotations

import base64
import copy
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.stats import Runs, median, paired_ratios, quartiles, require, spread, verdict

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
TARGET = 1.3  # for the ratio with moto's serialisation taken out (see DeliveryResult.adjusted_ratio)
DELAY_SECONDS = 0.2
BATCH = 10  # SQS's largest batch for the delivery function (and its thread pool's size)
SOURCE, EVENT_TYPE = "slack", "ticket.NewReply"  # what events/inbound_webhooks_api/create.json sets up
OPERATOR_TOKEN = "op_bench_operator_token"

# (name, messages, receiver delay in seconds)
KINDS = (
    ("single", 1, DELAY_SECONDS),
    ("batch", BATCH, DELAY_SECONDS),
    ("batch_instant", BATCH, 0.0),
    ("single_instant", 1, 0.0),
)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


# ------------------------------------------------------------------ the receiver


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the default backlog (5) could drop some of 10 simultaneous connects

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.delay = 0.0
        self.lock = threading.Lock()
        self.count = 0
        self.in_flight = 0
        self.peak = 0

    def reset(self, delay: float) -> None:
        with self.lock:
            self.delay, self.count, self.in_flight, self.peak = delay, 0, 0, 0


class _Answer(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        receiver = self.server
        with receiver.lock:
            receiver.in_flight += 1
            receiver.peak = max(receiver.peak, receiver.in_flight)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(receiver.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        with receiver.lock:
            receiver.in_flight -= 1
            receiver.count += 1

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def running_receiver() -> Iterator[_Receiver]:
    receiver = _Receiver()
    thread = threading.Thread(target=receiver.serve_forever, name="bench-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


# ------------------------------------------------------------------ moto, serialised and timed


class MotoMeter:
    """One moto call at a time (moto is not thread-safe), and the time spent in them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seconds = 0.0
        self.calls = 0

    def install(self) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        call = BotocoreStubber.__call__
        meter = self

        def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
            with meter.lock:
                started = time.perf_counter()
                try:
                    return call(self, *args, **kwargs)
                finally:
                    meter.seconds += time.perf_counter() - started
                    meter.calls += 1

        BotocoreStubber.__call__ = locked  # type: ignore[method-assign]

    def reset(self) -> None:
        with self.lock:
            self.seconds, self.calls = 0.0, 0


# ------------------------------------------------------------------ the stack's handlers


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of events/<name>, the sample events the tests use too."""
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / name).read_text()))
    return event


class Stack:
    """The handlers, called as Lambda would call them, on moto."""

    def __init__(self, contexts: dict[str, Any]) -> None:
        import boto3

        from delivery.handler import lambda_handler as delivery
        from hookyard_dev.poller import sqs_event
        from inbound_webhooks_api.handler import lambda_handler as inbound_api
        from ingest.handler import lambda_handler as ingest
        from router.handler import lambda_handler as router
        from webhooks_api.handler import lambda_handler as webhooks_api

        self.contexts = contexts
        self.webhooks_api: Handler = webhooks_api
        self.inbound_api: Handler = inbound_api
        self.ingest_handler: Handler = ingest
        self.delivery: Handler = delivery
        self.router: Handler = router
        self.ingest_event: dict[str, Any] = {}
        self.sqs = boto3.client("sqs", region_name=os.environ["AWS_DEFAULT_REGION"])
        self.sqs_event = sqs_event

    def call(self, handler: Handler, function: str, event: dict[str, Any]) -> dict[str, Any]:
        return handler(event, self.contexts[function])

    def create_webhook(self, url: str) -> dict[str, Any]:
        """As tests/integration/test_delivery.py does: the sample create request, pointed
        at `url` and subscribed to the inbound webhook's event type."""
        event = load_event("webhooks_api/create.json")
        definition = json.loads(event["body"])["webhook"]
        definition.pop("custom_headers", None)  # custom headers need https
        definition.update({"endpoint": url, "subscriptions": [f"{SOURCE}:event-type:{EVENT_TYPE}"]})
        event["body"] = json.dumps({"webhook": definition})
        response = self.call(self.webhooks_api, "WebhooksApiFunction", event)
        require(response["statusCode"] == 201, f"creating the webhook answered {response}")
        webhook: dict[str, Any] = json.loads(response["body"])["webhook"]
        return webhook

    def create_inbound_webhook(self) -> None:
        event = load_event("inbound_webhooks_api/create.json")
        event["body"] = json.dumps({"source_system": SOURCE, "event_type": EVENT_TYPE})
        response = self.call(self.inbound_api, "InboundWebhooksApiFunction", event)
        require(response["statusCode"] == 201, f"creating the inbound webhook answered {response}")
        inbound = json.loads(response["body"])
        ingest = load_event("ingest/json_body.json")
        ingest["pathParameters"]["token"] = inbound["path"].rsplit("/", 1)[1]
        credentials = base64.b64encode(f"{inbound['username']}:{inbound['password']}".encode()).decode()
        ingest["headers"]["Authorization"] = f"Basic {credentials}"
        self.ingest_event = ingest

    def ingest(self, payload: dict[str, Any]) -> None:
        event = copy.deepcopy(self.ingest_event)
        event["body"] = json.dumps(payload)
        response = self.call(self.ingest_handler, "IngestFunction", event)
        require(response["statusCode"] == 200, f"ingest answered {response}")

    def route(self) -> None:
        """The router on what the routing queue holds, as its event source mapping would."""
        url = os.environ["ROUTING_QUEUE_URL"]
        while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            answer = self.call(
                self.router, "RouterFunction", self.sqs_event([dict(m) for m in messages], "arn:aws:sqs:::RoutingQueue")
            )
            require(answer == {"batchItemFailures": []}, f"the router reported failures: {answer}")
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


# ------------------------------------------------------------------ the measurement


@dataclass(frozen=True)
class Sample:
    ms: float
    moto_ms: float
    moto_calls: int
    peak: int


class Bench:
    def __init__(self, stack: Stack, receiver: _Receiver, meter: MotoMeter) -> None:
        import boto3

        from hookyard_dev.poller import sqs_event

        self.stack = stack
        self.receiver = receiver
        self.meter = meter
        self.sqs = boto3.client("sqs", region_name=os.environ["AWS_DEFAULT_REGION"])
        self.dynamodb = boto3.client("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"])
        self.queue_url = os.environ["DELIVERY_QUEUE_URL"]
        self.queue_arn = "arn:aws:sqs:us-east-1:123456789012:DeliveryQueue"
        self.activity_table = os.environ["ACTIVITY_TABLE_NAME"]
        self.sqs_event = sqs_event
        self.events = 0

    def queued(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(messages) < count:
            require(time.monotonic() < deadline, f"only {len(messages)} of {count} messages reached the queue")
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, count - len(messages)), AttributeNames=["All"]
            )
            messages += [dict(message) for message in answer.get("Messages", [])]
        return messages

    def sample(self, messages: int, delay: float) -> Sample:
        for _ in range(messages):
            self.events += 1
            self.stack.ingest({"ticket": {"id": self.events, "status": "open"}, "comment": "bench"})
        self.stack.route()
        queued = self.queued(messages)
        event = self.sqs_event(queued, self.queue_arn)
        self.receiver.reset(delay)
        gc.collect()
        self.meter.reset()
        started = time.perf_counter()
        answer = self.stack.call(self.stack.delivery, "DeliveryFunction", event)
        elapsed = time.perf_counter() - started
        result = Sample(elapsed * 1000, self.meter.seconds * 1000, self.meter.calls, self.receiver.peak)
        require(answer == {"batchItemFailures": []}, f"the delivery function reported failures: {answer}")
        require(
            self.receiver.count == messages,
            f"{self.receiver.count} of {messages} deliveries reached the receiver; "
            f"invocations (status, attempts): {self.invocation_statuses()}",
        )
        self.sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(queued)],
        )
        self.clear_activity()
        return result

    def invocation_statuses(self) -> list[tuple[str, str]]:
        """Each invocation's status and attempt count, to say why a delivery did not happen."""
        items = self.dynamodb.scan(TableName=self.activity_table).get("Items", [])
        return [
            (item.get("status", {}).get("S", "?"), item.get("attempts", {}).get("N", "?"))
            for item in items
            if item["SK"]["S"].startswith("I#")
        ]

    def clear_activity(self) -> None:
        """Empty the activity table (invocations, attempts, breaker, rate counter)."""
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=self.activity_table, ProjectionExpression="PK, SK"
        )
        keys = [item for page in pages for item in page.get("Items", [])]
        for start in range(0, len(keys), 25):
            self.dynamodb.batch_write_item(
                RequestItems={self.activity_table: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]}
            )


def _fake_aws_environment() -> None:
    os.environ.update(
        {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def measure(rounds: int, warmup_rounds: int = 1) -> dict[str, Any]:
    """The child's work: samples per kind, as JSON-ready lists."""
    _fake_aws_environment()
    import boto3
    from moto import mock_aws

    from hookyard_dev.embedded_aws import provision
    from hookyard_dev.runtime import LambdaContext, add_code_paths, function_environment
    from hookyard_dev.stack import operator_parameters
    from hookyard_dev.template import REGION, Template

    template = Template.load(ROOT / "template.yaml", parameters=operator_parameters(OPERATOR_TOKEN))
    meter = MotoMeter()
    meter.install()
    samples: dict[str, list[Sample]] = {name: [] for name, _, _ in KINDS}
    with mock_aws(), running_receiver() as receiver:
        provision(template, lambda service: boto3.client(service, region_name=REGION))
        os.environ.update(function_environment(template))  # after provision: it names the queues and key
        os.environ["OUTBOUND_ALLOW_CIDRS"] = "127.0.0.0/8"
        add_code_paths(template)
        contexts = {
            name: LambdaContext(f"hookyard-{name}-bench", spec.memory, spec.timeout)
            for name, spec in template.functions.items()
        }
        stack = Stack(contexts)
        stack.create_webhook(f"http://127.0.0.1:{receiver.server_address[1]}/hook")
        stack.create_inbound_webhook()
        bench = Bench(stack, receiver, meter)
        for round_no in range(warmup_rounds + rounds):
            for name, messages, delay in KINDS if round_no % 2 == 0 else reversed(KINDS):
                sample = bench.sample(messages, delay)
                if round_no >= warmup_rounds:
                    samples[name].append(sample)
    return {
        name: {
            "ms": [s.ms for s in kind],
            "moto_ms": [s.moto_ms for s in kind],
            "moto_calls": [s.moto_calls for s in kind],
            "peak": [s.peak for s in kind],
        }
        for name, kind in samples.items()
    }


# ------------------------------------------------------------------ the parent's side


@dataclass
class Kind:
    ms: list[float]
    moto_ms: list[float]
    moto_calls: list[int]
    peak: list[int]

    @property
    def median_ms(self) -> float:
        return median(self.ms)

    @property
    def median_moto_ms(self) -> float:
        return median(self.moto_ms)

    def to_json(self) -> dict[str, Any]:
        q1, q3 = quartiles(self.ms)
        return {
            "median_ms": round(self.median_ms, 1),
            "p25_ms": round(q1, 1),
            "p75_ms": round(q3, 1),
            "moto_median_ms": round(self.median_moto_ms, 1),
            "moto_calls": int(median(self.moto_calls)),
            "peak_concurrent_requests": max(self.peak),
            "samples_ms": [round(s, 1) for s in self.ms],
        }

    def extend(self, other: Kind) -> None:
        self.ms += other.ms
        self.moto_ms += other.moto_ms
        self.moto_calls += other.moto_calls
        self.peak += other.peak


@dataclass
class DeliveryRun:
    """One child process's rounds; each kind has one sample per round, in round order."""

    rounds: int
    single: Kind
    batch: Kind
    batch_instant: Kind
    single_instant: Kind
    load: tuple[float, float]  # 1-minute load average when the run started and ended

    @property
    def ratios(self) -> list[float]:
        """Per round: the batch over the single message of the same round."""
        return paired_ratios(self.batch.ms, self.single.ms)

    @property
    def adjusted_ratios(self) -> list[float]:
        """Per round: the batch less the time moto held its lock beyond what one message
        needs (calls that queue here and overlap on AWS), over the single message."""
        extra = [max(0.0, b - s) for b, s in zip(self.batch.moto_ms, self.single.moto_ms, strict=True)]
        return paired_ratios([b - e for b, e in zip(self.batch.ms, extra, strict=True)], self.single.ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "load_average": {"start": round(self.load[0], 2), "end": round(self.load[1], 2)},
            "single": self.single.to_json(),
            "batch": self.batch.to_json(),
            "batch_instant_receiver": self.batch_instant.to_json(),
            "single_instant_receiver": self.single_instant.to_json(),
            "ratio": spread(self.ratios).to_json(),
            "ratio_without_serialised_moto": spread(self.adjusted_ratios).to_json(),
        }


@dataclass
class DeliveryResult:
    runs: list[DeliveryRun]

    def _pooled(self, name: str) -> Kind:
        pooled = Kind([], [], [], [])
        for run in self.runs:
            pooled.extend(getattr(run, name))
        return pooled

    @property
    def rounds(self) -> int:
        return self.runs[0].rounds

    @property
    def single(self) -> Kind:
        return self._pooled("single")

    @property
    def batch(self) -> Kind:
        return self._pooled("batch")

    @property
    def batch_instant(self) -> Kind:
        return self._pooled("batch_instant")

    @property
    def single_instant(self) -> Kind:
        return self._pooled("single_instant")

    @property
    def ratio(self) -> Runs:
        """The run medians of the per-round batch / single ratios."""
        return Runs([median(run.ratios) for run in self.runs])

    @property
    def adjusted_ratio(self) -> Runs:
        """The same with moto's serialisation taken out (the figure the target is for)."""
        return Runs([median(run.adjusted_ratios) for run in self.runs])

    @property
    def batch_wait_ms(self) -> float:
        """What the receiver's 200 ms added to the batch of 10 (10 x 200 ms if sequential)."""
        return self.batch.median_ms - self.batch_instant.median_ms

    @property
    def single_wait_ms(self) -> float:
        return self.single.median_ms - self.single_instant.median_ms

    @property
    def serialised_extra_ms(self) -> float:
        """Time moto held its lock in the batch beyond what one record needs: calls that
        queue here and would overlap on AWS."""
        return max(0.0, self.batch.median_moto_ms - self.single.median_moto_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "receiver_delay_ms": DELAY_SECONDS * 1000,
            "batch_size": BATCH,
            "measure": "wall time of the handler on the batch over one message, in the same round",
            "ratio": self.ratio.to_json(),
            "ratio_of_pairs": spread([r for run in self.runs for r in run.ratios]).to_json(),
            "ratio_without_serialised_moto": self.adjusted_ratio.to_json(),
            "ratio_without_serialised_moto_of_pairs": spread(
                [r for run in self.runs for r in run.adjusted_ratios]
            ).to_json(),
            "target": TARGET,
            "target_applies_to": "ratio_without_serialised_moto",
            "verdict": verdict(self.adjusted_ratio.median, TARGET),
            "receiver_wait_in_batch_ms": round(self.batch_wait_ms, 1),
            "receiver_wait_in_single_ms": round(self.single_wait_ms, 1),
            "serialised_moto_extra_ms": round(self.serialised_extra_ms, 1),
            "runs": [run.to_json() for run in self.runs],
        }


def run_once(rounds: int) -> DeliveryRun:
    """Measure in a child process (see the module docstring) and read its results."""
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hookyard-bench-") as tmp:
        out = Path(tmp) / "delivery.json"
        child = subprocess.run(
            [sys.executable, "-m", "bench.delivery", str(out), "--rounds", str(rounds)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if child.returncode != 0 or not out.exists():
            raise SystemExit(f"bench: the delivery benchmark's child process failed (exit {child.returncode})")
        data = json.loads(out.read_text())
    kinds = {name: Kind(**data[name]) for name, _, _ in KINDS}
    return DeliveryRun(rounds, **kinds, load=(load_start, os.getloadavg()[0]))


def run(rounds: int = 9, runs: int = 1) -> DeliveryResult:
    """`runs` child processes (each a fresh moto) of `rounds` rounds each."""
    return DeliveryResult([run_once(rounds) for _ in range(runs)])


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description="the delivery benchmark's child")
    parser.add_argument("out", type=Path)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    results = measure(args.rounds)
    out: Path = args.out
    out.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
