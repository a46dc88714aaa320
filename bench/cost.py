"""AWS cost per million events, counted: `python -m bench.cost` (and part of `make bench`).

Each path runs on moto with the real handlers, the template's tables, bus, queues and
key, and the functions' environment from template.yaml, as the integration tests run
them (`hookyard_dev.embedded_aws.provision`, `function_environment`). Every AWS request
the handlers make is counted through botocore's event hooks on the one boto3 session
`hookyard.aws` makes its clients from, with its parameters and its answer, and turned
into the units AWS bills:

- API Gateway: one request per ingest request, at the price of the API the template gives
  ingest (an HTTP API; the management API is REST).
- Lambda: one request per invocation and its duration at the template's MemorySize,
  rounded up to the millisecond. Durations are measured here as the process's CPU time
  during the invocation, on x86_64 with moto in-process (moto's time stands in for AWS's
  latency, the receiver on loopback answers at once); they stand in for arm64, whose
  prices are used. moto answers one call at a
  time, so the delivery function's parallel records queue here (an upper bound for it);
  the printout also gives Lambda with moto's time taken out (a lower bound).
- EventBridge: PutEvents entries, each 64 KB chunk of an entry one event (entry size as
  EventBridge counts it: source, detail-type, detail, resources, 14 bytes for a time).
  Events the bus's rule hands to SQS are not charged by EventBridge (same account).
- SQS: every request, one per 64 KB chunk of its payload: the router's SendMessageBatch,
  delayed re-sends, the bus rule's SendMessage to the routing queue (one per event,
  billed to the queue's owner: assumed), and
  the event source mappings' polling as Lambda does it: one ReceiveMessage and one
  DeleteMessageBatch per batch, batches as large as the template's BatchSize (a backlog:
  see "one at a time" below). Idle long polls are not counted (see EMPTY_POLLS).
- DynamoDB: write units per item written, ceil(item size / 1 KB), of the larger of the
  item before and after the write (a Put's new item, a Delete's old one), transactional
  writes twice (a ConditionCheck as a write of the item checked: assumed; no hot path
  makes one); read units per request, ceil(bytes read / 4 KB),
  half for eventually consistent reads, twice for transactional ones, a Query's bytes
  being the sum of the items it returns. Item sizes follow DynamoDB's rules (attribute
  names + values; numbers by significant digits; 3 bytes per list or map and 1 per
  element), read from moto's tables before and after each write. Failed conditional
  writes are billed as if written, as DynamoDB bills them.
- KMS: per request (opened secrets are kept in memory for 5 minutes: after the warm-up a
  warm function makes none).
- CloudWatch Logs: the bytes of every line the handlers write to stdout (Powertools JSON
  logs and EMF metric lines), and Lambda's own START and REPORT lines, about
  PLATFORM_LOG_BYTES per invocation, when the template's SystemLogLevel writes them
  (INFO or DEBUG; the template's default, WARN, writes none for an invocation that
  succeeds), priced per GB ingested.

Two runs per path. With SQS batches as the template configures them (a backlog): WARMUP
events first (caches filled, breaker windows open, as in a warm function), then EVENTS
events, a multiple of every BatchSize, whose counts are divided by EVENTS. And one event
at a time (ONE_AT_A_TIME events, each through the whole path alone): a trickle, as at a
million events a month (about 0.4 a second) most batches hold one message. Retries and
waits do not wait: when a queue holds only delayed messages they are released (their
`not_before` set to now), as time passing would release them. The failing webhook's
circuit breaker starts from a healthy window (1,000,000 successes), so one failing
delivery is measured, not an outage; the per-account invocation cap is lifted so no
event is held back. Each path starts from an empty activity table. The ingested body is
bench/payloads.py's 1.5 KB Zendesk ticket event; the receiver answers at once.

Prices come from bench/prices.json (dated, each line with its sources). The floor of a
path is what it must buy at the minimum (FLOORS); the ratio is the path's cost to it.

The measurement runs in a child process (`python -m bench.cost --child OUT.json`): it
starts moto in-process and replaces stdout to count log bytes, while `make bench`'s warm
ingest benchmark has put fakes behind `hookyard.aws` in the parent.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import copy
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.stats import require, verdict

ROOT = Path(__file__).resolve().parent.parent
PRICES = Path(__file__).resolve().parent / "prices.json"
EVENTS_DIR = ROOT / "events"
TARGET = 1.5
EVENTS = 30  # a multiple of every BatchSize: whole batches
WARMUP = 5
ONE_AT_A_TIME = 10  # events run alone (counts are exact; fewer suffice)
ONE_AT_A_TIME_WARMUP = 2

KB = 1024
CHUNK_BYTES = 64 * KB  # EventBridge and SQS bill each 64 KB chunk of a payload as one unit
GIB = 1024**3
PLATFORM_LOG_BYTES = 300  # Lambda's START and REPORT lines of one invocation (JSON), about
PLATFORM_LOGGED_AT = frozenset({"INFO", "DEBUG"})  # SystemLogLevels that write them
TRANSACTION_FACTOR = 2  # transactional reads and writes cost twice the units
# Idle polling, not counted per event: Lambda long-polls each SQS event source (20 s
# waits); with 5 pollers per mapping (assumed: AWS does not publish the idle count) that
# is 5 x 3 a minute x 43,200 minutes, about 648,000 ReceiveMessage requests a month per
# queue when no message arrives, fewer when messages keep the pollers busy.
EMPTY_POLLS = {"pollers": 5, "polls_per_minute": 3, "minutes_per_month": 43_200, "queues": 3}

SOURCE = "bench"
OPERATOR_TOKEN = "op_bench_cost_operator_token"
INTEGRATION = "my_integration"  # what the sample events under events/ name
FLOW_JOB_SPEC = "three_actions_jobspec"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    event_type: str  # the inbound webhook's event type (routes decide where it goes)


PATHS = (
    Scenario("ingest", "ingest only", "nothing.subscribed"),
    Scenario("delivery", "ingest + 1 delivery (2xx)", "delivery.ok"),
    Scenario("retried", "ingest + 1 delivery failing, retried 3 times", "delivery.fails"),
    Scenario("flow", "ingest + a flow of 3 HTTP actions", "flow.three"),
)
RECEIVER_PATHS = {"delivery": "/ok", "retried": "/fails", "flow": "/flow"}
# Requests the receiver gets per event; a 409 Conflict is retried 3 times, then final
# (hookyard.webhooks.retry): 4 attempts.
RECEIVED_PER_EVENT = {"ingest": 0, "delivery": 1, "retried": 4, "flow": 3}

# What each path must buy at the least: (price line, units per event, what it is). The API
# request at the cheapest API Gateway price (an HTTP API); one SQS request and one write
# unit per message that must travel and per record that must be kept. A retried delivery
# must schedule and record each of its 4 attempts; a flow must keep at least its outcome.
_INGEST_FLOOR = (
    ("apigateway_http_request", 1.0, "1 API request (HTTP API)"),
    ("eventbridge_custom_event", 1.0, "1 PutEvents entry"),
)
FLOORS: dict[str, tuple[tuple[str, float, str], ...]] = {
    "ingest": _INGEST_FLOOR,
    "delivery": (
        *_INGEST_FLOOR,
        ("sqs_standard_request", 1.0, "1 SQS message"),
        ("dynamodb_ondemand_wru", 1.0, "1 record written"),
    ),
    "retried": (
        *_INGEST_FLOOR,
        ("sqs_standard_request", 4.0, "4 SQS messages (one per attempt)"),
        ("dynamodb_ondemand_wru", 4.0, "4 records written (one per attempt)"),
    ),
    "flow": (
        *_INGEST_FLOOR,
        ("sqs_standard_request", 1.0, "1 SQS message"),
        ("dynamodb_ondemand_wru", 1.0, "1 record written"),
    ),
}
SERVICES = ("API Gateway", "Lambda", "EventBridge", "SQS", "DynamoDB", "KMS", "CloudWatch Logs")


# ------------------------------------------------------------------ units (what AWS bills)


def chunks(nbytes: int, chunk: int = CHUNK_BYTES) -> int:
    """Billed units of a payload of `nbytes`: one per `chunk` started, at least one."""
    return max(1, -(-nbytes // chunk))


def number_size(text: str) -> int:
    """Bytes DynamoDB counts for a number: 1 per two significant digits, plus 1."""
    mantissa = text.strip().lstrip("+-").lower().split("e", 1)[0]
    digits = mantissa.replace(".", "").strip("0")
    return 1 + -(-len(digits) // 2)


def _binary_size(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return len(value)
    try:
        return len(base64.b64decode(str(value), validate=True))  # as sent on the wire
    except (binascii.Error, ValueError):
        return len(str(value).encode())


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's format ({"S": ...}, {"M": {...}}, ...)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return number_size(str(data))
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in data)
    if kind == "NS":
        return sum(number_size(str(n)) for n in data)
    if kind == "BS":
        return sum(_binary_size(b) for b in data)
    if kind == "L":
        return 3 + sum(value_size(element) + 1 for element in data)
    if kind == "M":
        return 3 + sum(len(name.encode()) + value_size(element) + 1 for name, element in data.items())
    raise ValueError(f"not a DynamoDB attribute value: {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size as DynamoDB bills it: its attribute names and values."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, transactional: bool = False) -> int:
    """Write request units of writing one item of `size` bytes (1 KB each, at least 1)."""
    units = max(1, -(-size // KB))
    return units * TRANSACTION_FACTOR if transactional else units


def read_units(size: int, consistent: bool = True, transactional: bool = False) -> float:
    """Read request units of reading `size` bytes in one request (4 KB each, at least 1;
    half for an eventually consistent read, twice for a transactional one)."""
    units = max(1, -(-size // (4 * KB)))
    if transactional:
        return float(units * TRANSACTION_FACTOR)
    return float(units) if consistent else units / 2


def putevents_entry_size(entry: Mapping[str, Any]) -> int:
    """An entry's size as EventBridge counts it: 14 bytes for Time if set, and the UTF-8
    bytes of Source, DetailType, Detail and each Resources ARN."""
    size = 14 if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name) or "").encode())
    return size + sum(len(str(arn).encode()) for arn in entry.get("Resources") or [])


def lambda_gb_seconds(duration_ms: float, memory_mb: int) -> float:
    """Billed duration of one invocation: rounded up to the millisecond, times its memory."""
    return math.ceil(duration_ms) / 1000 * memory_mb / 1024


def item_kind(pk: str, sk: str = "") -> str:
    """A readable name for the kind of an item: its key prefixes (INV/I, BREAKER/STATE;
    numbers and times as <n>)."""

    def head(text: str) -> str:
        part = text.split("#", 1)[0]
        return "<n>" if part[:1].isdigit() else part

    return f"{head(pk)}/{head(sk)}" if sk else head(pk)


# ------------------------------------------------------------------ prices


@dataclass(frozen=True)
class Price:
    key: str
    service: str
    usd: float
    per: float
    unit: str
    checked: str
    sources: tuple[str, ...]

    def usd_per_million_events(self, units_per_event: float) -> float:
        """What `units_per_event` of this line cost for a million events."""
        return units_per_event * 1_000_000 * self.usd / self.per


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    region: str
    lines: dict[str, Price]

    def __getitem__(self, key: str) -> Price:
        return self.lines[key]


def load_prices(path: Path = PRICES) -> PriceTable:
    data = json.loads(path.read_text())
    lines = {
        key: Price(
            key=key,
            service=line["service"],
            usd=float(line["usd"]),
            per=float(line["per"]),
            unit=line["unit"],
            checked=line["checked"],
            sources=tuple(line["sources"]),
        )
        for key, line in data["lines"].items()
    }
    return PriceTable(as_of=data["as_of"], region=data["region"], lines=lines)


@dataclass(frozen=True)
class Line:
    """One billed item of a path, per event: `quantity` units of price line `price`."""

    price: str
    label: str
    quantity: float


def priced(lines: Sequence[Line], prices: PriceTable) -> list[tuple[Line, float]]:
    """Each line with its cost per million events, the most expensive first."""
    costed = [(line, prices[line.price].usd_per_million_events(line.quantity)) for line in lines]
    return sorted(costed, key=lambda pair: -pair[1])


def by_service(lines: Sequence[Line], prices: PriceTable) -> dict[str, float]:
    """Cost per million events by service (every service in SERVICES, 0 if untouched)."""
    totals = dict.fromkeys(SERVICES, 0.0)
    for line, usd in priced(lines, prices):
        totals[prices[line.price].service] += usd
    return totals


def floor_cost(path: str, prices: PriceTable) -> float:
    """The path's floor per million events (FLOORS)."""
    return sum(prices[price].usd_per_million_events(units) for price, units, _ in FLOORS[path])


def floor_ratio(total: float, floor: float) -> float:
    return total / floor if floor > 0 else math.inf


# ------------------------------------------------------------------ counting AWS requests


class MotoTables:
    """moto's DynamoDB tables, read directly (not through the API: nothing is counted)."""

    def __init__(self, account: str, region: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self.backend = dynamodb_backends[account][region]

    def key_of(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        schema = self.backend.get_table(table)
        names = [schema.hash_key_attr, schema.range_key_attr]
        return {name: item[name] for name in names if name and name in item}

    def size(self, table: str, key: Mapping[str, Any]) -> int:
        try:
            stored = self.backend.get_item(table, dict(key))
        except Exception:  # a key moto refuses: the request failed, and read nothing
            return 0
        if stored is None:
            return 0
        return item_size({name: value.to_regular_json() for name, value in stored.attrs.items()})


@dataclass
class _Write:
    table: str
    key: dict[str, Any]
    new_size: int  # a Put's item as sent (0 for updates, deletes, condition checks)
    transactional: bool
    before: int = 0


def _key_text(key: Mapping[str, Any], name: str) -> str:
    value = key.get(name) or {}
    return str(next(iter(value.values()), "")) if isinstance(value, Mapping) else ""


class Meter:
    """Every AWS request made through one boto3 session, in billed units, by actor (the
    function running, or the event source mapping polling for it)."""

    def __init__(self, tables: MotoTables, queue_ids: Mapping[str, str]) -> None:
        self.tables = tables
        self.queue_ids = dict(queue_ids)  # physical queue name -> logical id
        # One AWS request at a time: moto is not thread-safe (the delivery function calls
        # it from a thread per record), and an item's size before and after a write must
        # not see another thread's write in between.
        self.lock = threading.RLock()
        self._log_lock = threading.Lock()
        self.actor: str | None = None  # None: not counted (setup)
        self.function: str | None = None  # the function whose invocation is running
        self.moto_seconds = 0.0
        self.reset()

    def reset(self) -> None:
        self.units: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.requests: Counter[str] = Counter()
        self.sizes: Counter[str] = Counter()
        self.invocations: defaultdict[str, list[tuple[float, float]]] = defaultdict(list)  # (ms, ms in moto)
        self.memory: dict[str, int] = {}
        self.platform_logs: dict[str, bool] = {}
        self.log_bytes: Counter[str] = Counter()
        self.log_lines: Counter[str] = Counter()
        self.errors: list[str] = []

    def add(self, price: str, label: str, quantity: float) -> None:
        with self.lock:
            self.units[(price, label)] += quantity

    # ------------------------------------------------------------ installing
    def attach(self, events: Any) -> None:
        """Register on a botocore event emitter (a session's, before its clients exist)."""
        events.register("before-parameter-build", self._keep_params, unique_id="bench-cost-params")
        events.register("before-call", self._before, unique_id="bench-cost-before")
        events.register("after-call", self._after, unique_id="bench-cost-after")
        events.register("after-call-error", self._after_error, unique_id="bench-cost-error")

    def serialise_moto(self) -> None:
        """One moto call at a time, timed (as tests/integration/conftest.py locks it)."""
        from moto.core.botocore_stubber import BotocoreStubber

        call = BotocoreStubber.__call__
        meter = self

        def locked(stubber: Any, *args: Any, **kwargs: Any) -> Any:
            with meter.lock:
                started = time.thread_time()  # moto runs in the calling thread
                try:
                    return call(stubber, *args, **kwargs)
                finally:
                    meter.moto_seconds += time.thread_time() - started

        BotocoreStubber.__call__ = locked  # type: ignore[method-assign,assignment]

    @contextlib.contextmanager
    def acting(self, actor: str | None) -> Iterator[None]:
        previous, self.actor = self.actor, actor
        try:
            yield
        finally:
            self.actor = previous

    @contextlib.contextmanager
    def invoking(self, function: str, memory_mb: int, platform_logs: bool = True) -> Iterator[None]:
        """One Lambda invocation of `function`: its requests, duration and log lines."""
        previous = (self.actor, self.function)
        self.actor = self.function = function
        moto_before = self.moto_seconds
        # CPU time of this process, not wall time: nothing here waits on a network (moto
        # and the receiver are in-process), and other load on the machine does not count.
        started = time.process_time()
        try:
            yield
        finally:
            elapsed = (time.process_time() - started) * 1000
            self.actor, self.function = previous
            self.invocations[function].append((elapsed, (self.moto_seconds - moto_before) * 1000))
            self.memory[function] = memory_mb
            self.platform_logs[function] = platform_logs

    # ------------------------------------------------------------ hooks
    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_cost_params"] = params

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        self.lock.acquire()  # released by after-call or after-call-error, which botocore always emits
        context["bench_cost_locked"] = True
        if self.actor is None or model.service_model.service_name != "dynamodb":
            return
        try:
            writes = self._writes(model.name, context.get("bench_cost_params") or {})
            for write in writes:
                write.before = self.tables.size(write.table, write.key)
        except Exception as exc:  # a hook must not fail the handler's call: report() refuses instead
            self.errors.append(f"sizing {model.name}: {exc!r}")
            writes = []
        context["bench_cost_writes"] = writes

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not context.pop("bench_cost_locked", False):
            return
        try:
            if self.actor is not None:
                self._count(model, context.get("bench_cost_params") or {}, parsed or {}, context)
        except Exception as exc:
            self.errors.append(f"counting {model.name}: {exc!r}")
        finally:
            self.lock.release()

    def _after_error(self, context: dict[str, Any], **_: Any) -> None:
        if context.pop("bench_cost_locked", False):
            self.lock.release()

    # ------------------------------------------------------------ accounting
    def _count(self, model: Any, params: dict[str, Any], parsed: dict[str, Any], context: dict[str, Any]) -> None:
        service, operation = model.service_model.service_name, model.name
        actor = str(self.actor)
        self.requests[f"{actor} {service}.{operation}"] += 1
        if service == "dynamodb":
            self._dynamodb(actor, operation, params, parsed, context.get("bench_cost_writes") or [])
        elif service == "sqs":
            self._sqs(actor, operation, params, parsed)
        elif service == "events":
            self._events(actor, operation, params)
        elif service == "kms":
            self.add("kms_request", f"{actor} {operation}", 1)
        else:
            self.sizes[f"unpriced {service}.{operation}"] += 1

    def _writes(self, operation: str, params: Mapping[str, Any]) -> list[_Write]:
        def put(table: str, item: Mapping[str, Any], transactional: bool) -> _Write:
            return _Write(table, self.tables.key_of(table, item), item_size(item), transactional)

        if operation == "PutItem":
            return [put(params["TableName"], params["Item"], False)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [_Write(params["TableName"], dict(params["Key"]), 0, False)]
        if operation == "BatchWriteItem":
            writes = []
            for table, requests in params.get("RequestItems", {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        writes.append(put(table, request["PutRequest"]["Item"], False))
                    else:
                        writes.append(_Write(table, dict(request["DeleteRequest"]["Key"]), 0, False))
            return writes
        if operation == "TransactWriteItems":
            writes = []
            for entry in params.get("TransactItems", []):
                ((kind, action),) = entry.items()
                if kind == "Put":
                    writes.append(put(action["TableName"], action["Item"], True))
                else:  # Update, Delete, ConditionCheck: the item as stored
                    writes.append(_Write(action["TableName"], dict(action["Key"]), 0, True))
            return writes
        return []

    def _dynamodb(
        self, actor: str, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any], writes: list[_Write]
    ) -> None:
        for write in writes:
            after = self.tables.size(write.table, write.key)
            size = max(write.before, after, write.new_size)
            units = write_units(size, write.transactional)
            kind = item_kind(_key_text(write.key, "PK"), _key_text(write.key, "SK"))
            self.add("dynamodb_ondemand_wru", f"{actor} {operation} {kind}", units)
            self.sizes["DynamoDB bytes written"] += size
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            size = self.tables.size(params["TableName"], params["Key"])
            kind = item_kind(_key_text(params["Key"], "PK"), _key_text(params["Key"], "SK"))
            self._read(actor, operation, kind, size, read_units(size, consistent))
        elif operation in ("Query", "Scan"):
            items = parsed.get("Items") or []
            size = sum(item_size(item) for item in items)
            values = params.get("ExpressionAttributeValues") or {}
            first = next(iter(values.values()), None)
            pk = _key_text(items[0], "PK") if items else str(first.get("S", "")) if isinstance(first, Mapping) else ""
            self._read(actor, operation, item_kind(pk), size, read_units(size, consistent))
        elif operation == "BatchGetItem":
            for table, items in (parsed.get("Responses") or {}).items():
                strong = bool(params["RequestItems"][table].get("ConsistentRead"))
                for item in items:
                    size = item_size(item)
                    kind = item_kind(_key_text(item, "PK"), _key_text(item, "SK"))
                    self._read(actor, operation, kind, size, read_units(size, strong))
        elif operation == "TransactGetItems":
            for entry in params.get("TransactItems", []):
                get = entry["Get"]
                size = self.tables.size(get["TableName"], get["Key"])
                kind = item_kind(_key_text(get["Key"], "PK"), _key_text(get["Key"], "SK"))
                self._read(actor, operation, kind, size, read_units(size, transactional=True))

    def _read(self, actor: str, operation: str, kind: str, size: int, units: float) -> None:
        self.add("dynamodb_ondemand_rru", f"{actor} {operation} {kind}", units)
        self.sizes["DynamoDB bytes read"] += size

    def _sqs(self, actor: str, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        queue = self.queue_ids.get(str(params.get("QueueUrl", "")).rsplit("/", 1)[-1], "?")
        if operation == "SendMessage":
            payload = len(str(params["MessageBody"]).encode())
        elif operation == "SendMessageBatch":
            payload = sum(len(str(entry["MessageBody"]).encode()) for entry in params["Entries"])
        elif operation == "ReceiveMessage":
            payload = sum(len(str(message["Body"]).encode()) for message in parsed.get("Messages") or [])
        else:
            payload = 0
        self.add("sqs_standard_request", f"{actor} {operation} {queue}", chunks(payload))
        self.sizes["SQS payload bytes"] += payload

    def _events(self, actor: str, operation: str, params: Mapping[str, Any]) -> None:
        if operation != "PutEvents":
            self.sizes[f"unpriced events.{operation}"] += 1
            return
        for entry in params.get("Entries") or []:
            size = putevents_entry_size(entry)
            self.add("eventbridge_custom_event", f"{actor} PutEvents", chunks(size))
            self.sizes["PutEvents entry bytes"] += size

    # ------------------------------------------------------------ what AWS does for us
    def api_request(self, kind: str) -> None:
        """One ingest request through the API the template gives ingest (REST or HTTP)."""
        if kind == "HttpApi":
            self.add("apigateway_http_request", "HTTP API request to ingest", 1)
        else:
            self.add("apigateway_rest_request", "REST API request to ingest", 1)

    def rule_delivered(self, bodies: Sequence[str], queue: str) -> None:
        """The bus rule's SendMessage of each event to `queue` (SQS bills the queue owner)."""
        for body in bodies:
            size = len(body.encode())
            self.add("sqs_standard_request", f"EventBridge rule SendMessage {queue}", chunks(size))
            self.sizes["SQS payload bytes"] += size

    def logged(self, text: str) -> None:
        function = self.function
        if function is None or self.actor is None:
            return
        with self._log_lock:
            self.log_bytes[function] += len(text.encode())
            self.log_lines[function] += text.count("\n")

    # ------------------------------------------------------------ results
    def report(self, events: int) -> dict[str, Any]:
        """Everything counted, per event."""
        require(not self.errors, f"requests the meter could not count: {self.errors[:3]}")
        units = dict(self.units)
        for function, samples in self.invocations.items():
            memory = self.memory[function]
            units[("lambda_request", f"{function} invocations")] = float(len(samples))
            units[("lambda_arm64_gb_second", f"{function} duration at {memory} MB")] = sum(
                lambda_gb_seconds(ms, memory) for ms, _ in samples
            )
            if self.platform_logs[function]:
                platform = len(samples) * PLATFORM_LOG_BYTES
                units[("cloudwatch_logs_ingest_gb", f"{function} START/REPORT lines")] = platform / GIB
            if self.log_bytes[function]:
                units[("cloudwatch_logs_ingest_gb", f"{function} log and metric lines")] = (
                    self.log_bytes[function] / GIB
                )
        lines = [
            {"price": price, "label": label, "quantity": quantity / events}
            for (price, label), quantity in sorted(units.items())
        ]
        lambdas = {
            function: {
                "memory_mb": self.memory[function],
                "invocations_per_event": len(samples) / events,
                "mean_ms": sum(ms for ms, _ in samples) / len(samples),
                "mean_ms_in_moto": sum(moto for _, moto in samples) / len(samples),
                # A lower bound: the duration as if every AWS call took no time at all.
                "gb_seconds_without_moto_per_event": sum(
                    lambda_gb_seconds(max(0.0, ms - moto), self.memory[function]) for ms, moto in samples
                )
                / events,
            }
            for function, samples in sorted(self.invocations.items())
        }
        wru = sum(q for (price, _), q in units.items() if price == "dynamodb_ondemand_wru")
        rru = sum(q for (price, _), q in units.items() if price == "dynamodb_ondemand_rru")
        return {
            "events": events,
            "lines": lines,
            "requests": {name: count / events for name, count in sorted(self.requests.items())},
            "wru": wru / events,
            "rru": rru / events,
            "bytes": {name: count / events for name, count in sorted(self.sizes.items())},
            "log_bytes": {name: count / events for name, count in sorted(self.log_bytes.items())},
            "log_lines": {name: count / events for name, count in sorted(self.log_lines.items())},
            "lambdas": lambdas,
        }


class _LogTap(io.TextIOBase):
    """stdout of the measuring child: what the handlers write is counted, not shown."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.meter.logged(text)
        return len(text)


# ------------------------------------------------------------------ the receiver


class _Receiver(ThreadingHTTPServer):
    """Loopback endpoint: 200 on /ok and /flow, 409 Conflict on /fails (retried 3 times)."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Answer(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.counts[path] += 1
        self.send_response(409 if path == "/fails" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _running_receiver() -> Iterator[_Receiver]:
    receiver = _Receiver()
    thread = threading.Thread(target=receiver.serve_forever, name="bench-cost-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


# ------------------------------------------------------------------ the stack, as Lambda runs it

Handler = Callable[[dict[str, Any], Any], Any]


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return event


def _flow_bundle(url: str) -> dict[str, Any]:
    """A job spec on bench:flow.three whose flow makes three HTTP actions in a row."""

    def action(name: str, following: str | None) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Type": "Action",
            "ActionName": f"zis:{INTEGRATION}:action:post",
            "Parameters": {"step": name, "ticket_id.$": "$.input.detail.id", "status.$": "$.input.detail.status"},
            "ResultPath": f"$.{name}",
        }
        state.update({"Next": following} if following else {"End": True})
        return state

    return {
        "zis_template_version": "2019-10-14",
        "name": "bench_three_actions",
        "description": "Three HTTP actions in a row (bench/cost.py)",
        "resources": {
            "three_actions_flow": {
                "type": "ZIS::Flow",
                "properties": {
                    "name": "three_actions_flow",
                    "definition": {
                        "StartAt": "first",
                        "States": {
                            "first": action("first", "second"),
                            "second": action("second", "third"),
                            "third": action("third", None),
                        },
                    },
                },
            },
            "post": {
                "type": "ZIS::Action::Http",
                "properties": {
                    "name": "post",
                    "definition": {
                        "method": "POST",
                        "url": url,
                        "requestBody": {"step.$": "$.step", "ticket_id.$": "$.ticket_id", "status.$": "$.status"},
                    },
                },
            },
            FLOW_JOB_SPEC: {
                "type": "ZIS::JobSpec",
                "properties": {
                    "name": FLOW_JOB_SPEC,
                    "event_source": SOURCE,
                    "event_type": "flow.three",
                    "flow_name": f"zis:{INTEGRATION}:flow:three_actions_flow",
                },
            },
        },
    }


class Stack:
    """The handlers on moto, called as API Gateway and the event source mappings would."""

    QUEUES = ("RoutingQueue", "DeliveryQueue", "FlowQueue")

    def __init__(self, template: Any, meter: Meter, receiver: _Receiver, sqs: Any) -> None:
        from accounts_api.handler import lambda_handler as accounts_api
        from delivery.handler import lambda_handler as delivery
        from flow_runner.handler import lambda_handler as flow_runner
        from inbound_webhooks_api.handler import lambda_handler as inbound_webhooks_api
        from ingest.handler import lambda_handler as ingest
        from registry_api.handler import lambda_handler as registry_api
        from router.handler import lambda_handler as router
        from webhooks_api.handler import lambda_handler as webhooks_api

        self.template = template
        ingest_events = template.resources["IngestFunction"]["Properties"]["Events"].values()
        self.ingest_api = next(e["Type"] for e in ingest_events if e["Properties"]["Method"] == "POST")
        self.meter = meter
        self.receiver = receiver
        self.sqs = sqs  # the event source mappings' client (from the counted session)
        self.handlers: dict[str, Handler] = {
            "AccountsApiFunction": accounts_api,
            "DeliveryFunction": delivery,
            "FlowRunnerFunction": flow_runner,
            "InboundWebhooksApiFunction": inbound_webhooks_api,
            "IngestFunction": ingest,
            "RegistryApiFunction": registry_api,
            "RouterFunction": router,
            "WebhooksApiFunction": webhooks_api,
        }
        self.mappings = {m.queue_id: m for spec in template.functions.values() for m in spec.sqs}
        self.ingest_events: dict[str, dict[str, Any]] = {}
        self.failing_webhook = ""
        self.events_sent = 0

    # ------------------------------------------------------------ calling handlers
    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        from hookyard_dev.runtime import LambdaContext

        spec = self.template.functions[function]
        context = LambdaContext(f"hookyard-{function}-bench", spec.memory, spec.timeout)
        with self.meter.invoking(function, spec.memory, spec.system_log_level in PLATFORM_LOGGED_AT):
            return self.handlers[function](event, context)

    def api(self, function: str, event: dict[str, Any], status: int) -> Any:
        """An API call of the setup (not counted)."""
        response = self.invoke(function, event)
        require(response["statusCode"] == status, f"{function} answered {response}")
        return json.loads(response["body"]) if response.get("body") else None

    # ------------------------------------------------------------ setup
    def setup(self) -> None:
        from hookyard.config import TableSettings, get_settings
        from hookyard.dal.accounts import AccountsRepository

        account = AccountsRepository(get_settings(TableSettings).config_table).create_account("bench")
        require(account.id == 1, f"the bench account is {account.id}; the sample events act as account 1")
        url = self.receiver.url
        for path in PATHS:
            self.ingest_events[path.name] = self._inbound_webhook(path.event_type)
        self._webhook(f"{url}{RECEIVER_PATHS['delivery']}", "delivery.ok")
        self.failing_webhook = self._webhook(f"{url}{RECEIVER_PATHS['retried']}", "delivery.fails")
        self.api("RegistryApiFunction", _event("registry_api/create_integration.json"), 201)
        upload = _event("registry_api/upload_bundle.json")
        upload["body"] = json.dumps(_flow_bundle(f"{url}{RECEIVER_PATHS['flow']}"))
        self.api("RegistryApiFunction", upload, 200)
        install = _event("registry_api/install_job_spec.json")
        name = f"zis:{INTEGRATION}:job_spec:{FLOW_JOB_SPEC}"
        install["queryStringParameters"] = {"job_spec_name": name}
        install["multiValueQueryStringParameters"] = {"job_spec_name": [name]}
        self.api("RegistryApiFunction", install, 200)

    def _inbound_webhook(self, event_type: str) -> dict[str, Any]:
        create = _event("inbound_webhooks_api/create.json")
        create["body"] = json.dumps({"source_system": SOURCE, "event_type": event_type})
        inbound = self.api("InboundWebhooksApiFunction", create, 201)
        event = _event("ingest/json_body.json")
        event["pathParameters"]["token"] = inbound["path"].rsplit("/", 1)[1]
        credentials = base64.b64encode(f"{inbound['username']}:{inbound['password']}".encode()).decode()
        event["headers"]["Authorization"] = f"Basic {credentials}"
        event["multiValueHeaders"]["Authorization"] = [f"Basic {credentials}"]
        return event

    def _webhook(self, endpoint: str, event_type: str) -> str:
        create = _event("webhooks_api/create.json")
        definition = json.loads(create["body"])["webhook"]
        definition.pop("custom_headers", None)  # custom headers need https
        definition.update(
            {
                "name": f"bench {event_type}",
                "endpoint": endpoint,
                "subscriptions": [f"{SOURCE}:event-type:{event_type}"],
            }
        )
        create["body"] = json.dumps({"webhook": definition})
        webhook: dict[str, Any] = self.api("WebhooksApiFunction", create, 201)["webhook"]
        return str(webhook["id"])

    def reset_activity(self) -> None:
        """Empty the activity table (moto's transactions copy the whole table, so a large
        one slows every write) and give the failing webhook a healthy breaker window."""
        import boto3

        from hookyard.webhooks.breaker import breaker_key

        dynamodb = boto3.client("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"])
        table = os.environ["ACTIVITY_TABLE_NAME"]
        pages = dynamodb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="PK, SK")
        keys = [item for page in pages for item in page.get("Items", [])]
        for start in range(0, len(keys), 25):
            dynamodb.batch_write_item(
                RequestItems={table: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]}
            )
        now = time.time()
        dynamodb.put_item(
            TableName=table,
            Item={
                **breaker_key(1, self.failing_webhook),
                "phase": {"S": "closed"},
                "window_start_ms": {"N": str(round(now * 1000))},
                "requests": {"N": "1000000"},
                "failures": {"N": "0"},
                "version": {"N": "1"},
                "expires_at": {"N": str(int(now) + 86_400)},
            },
        )

    # ------------------------------------------------------------ a path
    def run(self, path: Scenario, events: int, one_at_a_time: bool) -> None:
        before = Counter(self.receiver.counts)
        for _ in range(events):
            self.ingest(path)
            if one_at_a_time:
                self.drain(batch=1)
        self.drain(batch=None)
        for queue in (*self.QUEUES, "RoutingDeadLetterQueue", "DeliveryDeadLetterQueue", "FlowDeadLetterQueue"):
            require(not self._moto_queue(queue)._messages, f"{queue} is not empty after the {path.name} path")
        received = Counter(self.receiver.counts) - before
        expected = RECEIVED_PER_EVENT[path.name] * events
        got = received[RECEIVER_PATHS[path.name]] if path.name in RECEIVER_PATHS else sum(received.values())
        require(got == expected, f"the {path.name} path made {got} requests to the receiver, not {expected}")

    def ingest(self, path: Scenario) -> None:
        from bench.payloads import TICKET_CREATED

        self.events_sent += 1
        payload = copy.deepcopy(TICKET_CREATED)
        payload["detail"]["id"] = str(5158 + self.events_sent)
        payload["id"] = f"{self.events_sent:08d}-7239-495d-b020-f22348516046"
        event = copy.deepcopy(self.ingest_events[path.name])
        event["body"] = json.dumps(payload, ensure_ascii=False)
        event["requestContext"]["requestId"] = f"bench-{self.events_sent}"
        self.meter.api_request(self.ingest_api)
        response = self.invoke("IngestFunction", event)
        require(response["statusCode"] == 200, f"ingest answered {response}")

    def drain(self, batch: int | None) -> None:
        """Run the consumers until every queue is empty, as their event source mappings
        would; when only delayed messages are left, their wait is over."""
        while True:
            progressed = False
            for queue in self.QUEUES:
                while self._poll(queue, batch):
                    progressed = True
            if not progressed and not self._release_delayed():
                return

    def _poll(self, queue: str, batch: int | None) -> bool:
        """One batch from `queue` through its function (False if nothing is visible)."""
        from hookyard_dev.poller import sqs_event

        if not any(m.visible and not m.delayed for m in self._moto_queue(queue)._messages):
            return False
        mapping = self.mappings[queue]
        url = self.template.queue_urls[queue]
        with self.meter.acting(f"ESM {queue}"):
            messages = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, batch or mapping.batch_size),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        require(messages, f"{queue} showed a message but ReceiveMessage returned none")
        if queue == "RoutingQueue":
            self.meter.rule_delivered([m["Body"] for m in messages if "detail-type" in m["Body"]], queue)
        answer = self.invoke(mapping.function_id, sqs_event(messages, self.template.arn(queue)))
        require(not (answer or {}).get("batchItemFailures"), f"{mapping.function_id} reported failures: {answer}")
        with self.meter.acting(f"ESM {queue}"):
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return True

    def _release_delayed(self) -> bool:
        released = False
        for queue in self.QUEUES:
            for message in self._moto_queue(queue)._messages:
                if not message.delayed:
                    continue
                body = json.loads(message.body)
                if "not_before" in body:
                    body["not_before"] = time.time() - 0.001
                    message.body = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
                message.delayed_until = 0
                released = True
        return released

    def _moto_queue(self, logical_id: str) -> Any:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.sqs.models import sqs_backends

        name = self.template.queue_urls[logical_id].rsplit("/", 1)[1]
        return sqs_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].queues[name]


def _fake_aws_environment() -> None:
    os.environ.update(
        {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def measure(events: int = EVENTS, warmup: int = WARMUP) -> dict[str, Any]:
    """The child's work: per path and mode, everything counted per event."""
    _fake_aws_environment()
    import boto3
    from moto import mock_aws
    from moto.core.models import DEFAULT_ACCOUNT_ID

    from hookyard_dev.embedded_aws import provision
    from hookyard_dev.runtime import add_code_paths, function_environment
    from hookyard_dev.stack import operator_parameters
    from hookyard_dev.template import REGION, Template

    template = Template.load(ROOT / "template.yaml", parameters=operator_parameters(OPERATOR_TOKEN))
    results: dict[str, Any] = {"full": {}, "one_at_a_time": {}}
    with mock_aws(), _running_receiver() as receiver:
        provision(template, lambda service: boto3.client(service, region_name=REGION))
        os.environ.update(function_environment(template))  # after provision: it names the queues and key
        os.environ["OUTBOUND_ALLOW_CIDRS"] = "127.0.0.0/8"
        os.environ["INVOCATIONS_PER_MINUTE"] = str(10**9)  # no event is held back by the per-account cap
        queue_ids = {url.rsplit("/", 1)[1]: logical for logical, url in template.queue_urls.items()}
        meter = Meter(MotoTables(DEFAULT_ACCOUNT_ID, REGION), queue_ids)
        meter.serialise_moto()
        sys.stdout = _LogTap(meter)  # type: ignore[assignment]  # before the handlers' Loggers are made: they keep the stream
        add_code_paths(template)

        from hookyard import aws
        from hookyard.config import get_settings

        aws.reset_clients()
        get_settings.cache_clear()
        session = aws._session()
        meter.attach(session.events)  # before any client is made from it: clients copy the handlers
        stack = Stack(template, meter, receiver, session.client("sqs", region_name=REGION))
        stack.setup()
        with meter.acting("warm-up"):  # the process too: moto's and our first calls are slower
            for path in PATHS:
                stack.run(path, warmup, one_at_a_time=False)
        modes = (("full", False, events, warmup), ("one_at_a_time", True, ONE_AT_A_TIME, ONE_AT_A_TIME_WARMUP))
        for mode, one_at_a_time, counted, warming in modes:
            for path in PATHS:
                stack.reset_activity()
                with meter.acting("warm-up"):
                    stack.run(path, warming, one_at_a_time)
                meter.reset()
                with meter.acting("counted"):
                    stack.run(path, counted, one_at_a_time)
                results[mode][path.name] = meter.report(counted)
        sys.stdout = sys.__stdout__
    results["meta"] = {
        "events": events,
        "warmup": warmup,
        "one_at_a_time_events": ONE_AT_A_TIME,
        "memory_mb": {name: spec.memory for name, spec in template.functions.items()},
        "batch_size": {m.queue_id: m.batch_size for spec in template.functions.values() for m in spec.sqs},
    }
    return results


# ------------------------------------------------------------------ results (the parent's side)


@dataclass
class PathCost:
    name: str
    title: str
    lines: list[Line]
    total: float
    services: dict[str, float]
    floor: float
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return floor_ratio(self.total, self.floor)

    def lambda_without_moto(self, prices: PriceTable) -> float:
        """Lambda's cost per million events if every AWS call took no time (a lower bound:
        the durations measured here include moto, which answers one call at a time)."""
        requests = sum(
            prices[line.price].usd_per_million_events(line.quantity)
            for line in self.lines
            if line.price == "lambda_request"
        )
        seconds = sum(stats["gb_seconds_without_moto_per_event"] for stats in self.data["lambdas"].values())
        return requests + prices["lambda_arm64_gb_second"].usd_per_million_events(seconds)


@dataclass
class CostResult:
    prices: PriceTable
    meta: dict[str, Any]
    modes: dict[str, list[PathCost]]  # "full" (batches as configured), "one_at_a_time"

    def to_json(self) -> dict[str, Any]:
        def path_json(cost: PathCost) -> dict[str, Any]:
            return {
                "title": cost.title,
                "usd_per_million_events": round(cost.total, 4),
                "by_service": {k: round(v, 4) for k, v in cost.services.items()},
                "floor": round(cost.floor, 4),
                "floor_items": [label for _, _, label in FLOORS[cost.name]],
                "ratio": round(cost.ratio, 3),
                "target": TARGET,
                "verdict": verdict(cost.ratio, TARGET),
                "lines": [
                    {"label": line.label, "price": line.price, "units_per_event": line.quantity, "usd": round(usd, 4)}
                    for line, usd in priced(cost.lines, self.prices)
                ],
                "requests_per_event": cost.data["requests"],
                "wru_per_event": cost.data["wru"],
                "rru_per_event": cost.data["rru"],
                "bytes_per_event": cost.data["bytes"],
                "log_bytes_per_event": cost.data["log_bytes"],
                "lambdas": cost.data["lambdas"],
            }

        return {
            "prices_as_of": self.prices.as_of,
            "region": self.prices.region,
            **self.meta,
            "modes": {mode: {c.name: path_json(c) for c in costs} for mode, costs in self.modes.items()},
            "empty_polls_per_month": empty_polls_per_month(self.prices),
        }


def empty_polls_per_month(prices: PriceTable) -> dict[str, float]:
    """The idle polling the per-event figures leave out (EMPTY_POLLS), as a monthly cost."""
    per_queue = EMPTY_POLLS["pollers"] * EMPTY_POLLS["polls_per_minute"] * EMPTY_POLLS["minutes_per_month"]
    requests = per_queue * EMPTY_POLLS["queues"]
    price = prices["sqs_standard_request"]
    return {"requests": float(requests), "usd": requests * price.usd / price.per}


def cost_of(name: str, data: Mapping[str, Any], prices: PriceTable) -> PathCost:
    lines = [Line(line["price"], line["label"], float(line["quantity"])) for line in data["lines"]]
    services = by_service(lines, prices)
    title = next(p.title for p in PATHS if p.name == name)
    return PathCost(name, title, lines, sum(services.values()), services, floor_cost(name, prices), dict(data))


def result_of(data: Mapping[str, Any], prices: PriceTable) -> CostResult:
    modes = {
        mode: [cost_of(path.name, data[mode][path.name], prices) for path in PATHS]
        for mode in ("full", "one_at_a_time")
    }
    return CostResult(prices, dict(data["meta"]), modes)


def run(events: int = EVENTS, warmup: int = WARMUP) -> CostResult:
    """Measure in a child process (see the module docstring) and price what it counted."""
    with tempfile.TemporaryDirectory(prefix="hookyard-bench-cost-") as tmp:
        out = Path(tmp) / "cost.json"
        child = subprocess.run(
            [sys.executable, "-m", "bench.cost", "--child", str(out), "--events", str(events), "--warmup", str(warmup)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if child.returncode != 0 or not out.exists():
            raise SystemExit(f"bench: the cost benchmark's child process failed (exit {child.returncode})")
        data = json.loads(out.read_text())
    return result_of(data, load_prices())


# ------------------------------------------------------------------ printing

_SHORT = {
    "API Gateway": "API GW",
    "Lambda": "Lambda",
    "EventBridge": "EvBridge",
    "SQS": "SQS",
    "DynamoDB": "DynamoDB",
    "KMS": "KMS",
    "CloudWatch Logs": "Logs",
}


def _table(costs: Sequence[PathCost]) -> list[str]:
    width = max(len(c.title) for c in costs)
    head = "  ".join(f"{_SHORT[s]:>8}" for s in SERVICES)
    rows = [f"{'USD per million events':<{width}}  {head}  {'total':>7}  {'floor':>6}  {'ratio':>6}  target"]
    for cost in costs:
        figures = "  ".join(f"{cost.services[s]:8.3f}" for s in SERVICES)
        rows.append(
            f"{cost.title:<{width}}  {figures}  {cost.total:7.3f}  {cost.floor:6.3f}  {cost.ratio:6.2f}"
            f"  <= {TARGET} {verdict(cost.ratio, TARGET)}"
        )
    return rows


def print_cost(result: CostResult, detail: bool = True) -> None:
    meta = result.meta
    print(
        f"\nAWS cost per million events, {result.prices.region} list prices of {result.prices.as_of} "
        f"(bench/prices.json); {meta['events']} events per path after {meta['warmup']} warm-up"
    )
    batches = ", ".join(f"{queue} {size}" for queue, size in sorted(meta["batch_size"].items()))
    print(f"\nSQS batches as template.yaml configures them ({batches}), a backlog:")
    print("\n".join(_table(result.modes["full"])))
    print("\nOne event at a time (batches of 1: a trickle, as at a million events a month, ~0.4/s):")
    print("\n".join(_table(result.modes["one_at_a_time"])))
    print("\nFloors (what each path must buy at the least):")
    for cost in result.modes["full"]:
        items = " + ".join(label for _, _, label in FLOORS[cost.name])
        print(f"  {cost.title}: {items} = ${cost.floor:.3f}")
    polls = empty_polls_per_month(result.prices)
    print(
        f"  Not per event: idle long polls of the {EMPTY_POLLS['queues']} event source mappings, about "
        f"{polls['requests'] / 1e6:.2f} M ReceiveMessage a month (${polls['usd']:.2f}/month), "
        f"{EMPTY_POLLS['pollers']} pollers per queue assumed"
    )
    if not detail:
        return
    for cost in result.modes["full"]:
        print(f"\n{cost.title} (batches as configured): top 3 of ${cost.total:.3f} per million events")
        for line, usd in priced(cost.lines, result.prices)[:3]:
            print(f"  ${usd:7.3f}  {line.label} ({line.quantity:.3g} per event)")
        data = cost.data
        print(
            f"  Lambda ${cost.services['Lambda']:.3f}, ${cost.lambda_without_moto(result.prices):.3f} with moto's "
            "time taken out (durations here include moto, which answers one call at a time)"
        )
        print(f"  per event: {data['wru']:.2f} WRU, {data['rru']:.2f} RRU; requests:")
        for name, count in data["requests"].items():
            print(f"    {count:6.2f}  {name}")
        for name, value in data["bytes"].items():
            print(f"    {value:8.0f}  {name}")
        for function, stats in data["lambdas"].items():
            print(
                f"    Lambda {function}: {stats['invocations_per_event']:.2f} invocations per event, "
                f"mean {stats['mean_ms']:.1f} ms ({stats['mean_ms_in_moto']:.1f} ms in moto) "
                f"at {stats['memory_mb']} MB, "
                f"{data['log_bytes'].get(function, 0):.0f} log bytes per event"
            )


def markdown_lines(result: CostResult) -> list[str]:
    """The README's table: USD per million events by service, batches as configured, and
    the total one event at a time."""
    full = {c.name: c for c in result.modes["full"]}
    single = {c.name: c for c in result.modes["one_at_a_time"]}
    lines = [
        f"AWS cost per million events ({result.prices.region} list prices of {result.prices.as_of}, USD):",
        "",
        "| path | " + " | ".join(SERVICES) + " | total | floor | ratio | one at a time |",
        "|---|" + "---:|" * (len(SERVICES) + 4),
    ]
    for path in PATHS:
        cost, trickle = full[path.name], single[path.name]
        figures = " | ".join(f"{cost.services[s]:.2f}" for s in SERVICES)
        lines.append(
            f"| {cost.title} | {figures} | {cost.total:.2f} | {cost.floor:.2f} | {cost.ratio:.2f} "
            f"(<= {TARGET}: {verdict(cost.ratio, TARGET)}) | {trickle.total:.2f} ({trickle.ratio:.2f}x) |"
        )
    return lines


def print_markdown(result: CostResult) -> None:
    print("\nMarkdown (README):\n")
    print("\n".join(markdown_lines(result)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=EVENTS, help=f"events per path (default {EVENTS})")
    parser.add_argument("--warmup", type=int, default=WARMUP, help=f"warm-up events per path (default {WARMUP})")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        results = measure(args.events, args.warmup)
        child_out: Path = args.child
        child_out.write_text(json.dumps(results))
        return 0
    started = time.perf_counter()
    result = run(args.events, args.warmup)
    print_cost(result)
    print_markdown(result)
    if args.json:
        json_out: Path = args.json
        json_out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
