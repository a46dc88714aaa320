"""Routing cost: does an event cost the same with 10 or 100,000 subscriptions in the index,
and does fan-out grow with the matched destinations only?

Runs in a child process (`python -m bench.routing` starts one): it starts moto in-process
and needs the real AWS clients. The code is the source tree's (every functions/<name>
folder and layers/common on sys.path, as `hookyard dev` runs it).

The subject is the router's real work on a batch of routing messages:
`router.logic.Router.route`, with the real `hookyard.dal.routes.RouteIndex` (strongly
consistent Query on the config table's subscription index) and real
`hookyard.queues.SqsQueue`s (SendMessageBatch to the template's delivery queue), on moto.
Left out, as they do not depend on the index: the handler's JSON decoding of the SQS
records and its one metric line.

Setup (outside the timing): moto with the template's queues; three tables created with
the template's ConfigTable key schema, holding route items made by `hookyard.routing`
(`Route(...).item()` through `hookyard.dynamo.to_item`), written straight into moto's
backend with its own `Table.put_item` (validated as a PutItem is; about 5x faster than
BatchWriteItem of 25 through the client: 1.1 s against 6.0 s for 20,000 routes):

  small    10 routes: the one webhook route the measured event matches, 9 others
  matched  111 routes: only those the fan-out events match (1, 10 and 100 webhook
           routes, each set under its own event type of account 1)
  big      100,000 routes: the same 111, and 99,889 others: account 1's other types,
           other accounts' routes for the same types, other accounts' other types

Cases, each a number of events per round routed in batches of up to 10 (the router's
BatchSize), every event of a case matching the same number of webhook routes:

  small / big, 1 match        the headline ratio big/small (target <= 1.2)
  matched / big, 1, 10, 100   time per event and per destination: linear in matches,
                              and the same with or without 99,889 unmatched routes

A round routes every case's events, one batch of each case in turn (ABC..ABC..), in an
order that reverses every other round (CBA..), after an untimed warm-up round; a case's
sample is its time per event in the round, and figures are medians over rounds. Each
batch is checked (no record failed, every destination on the delivery queue), then the
queue is purged, untimed.

The clock is the routing thread's CPU time (`time.thread_time`): router, botocore and
moto all run in this one thread with no I/O, so CPU time is the work, and it is far less
disturbed than wall time by other processes on shared cores. Wall time is kept too. CPU
time spent inside moto (BotocoreStubber) is measured per batch: what is left, "outside
moto", is the router and its clients' request building and response parsing, which on
AWS stays while moto's share becomes network round trips (the same calls in every case).

AWS calls are counted with botocore hooks (before-call/after-call on the clients'
meta.events): calls per operation per round, and the items each Query read (its
ScannedCount: what DynamoDB reads, and bills, for a Query).

moto differs from AWS in two costs that matter here; the timed batches leave them out
(`aws_complexity`, below), as DynamoDB's and SQS's own designs do:
- moto (5.2.x) stores items by partition, but its `Table.query` flattens and sorts the
  whole table (`all_items()`) before picking the partition, so a Query costs O(table
  log table): measured once per table with moto as shipped, at the end (seconds at
  100,000 items). DynamoDB hashes the partition key and reads only that partition. In
  the batches, `all_items()` during a base-table Query returns the queried partition's
  items, still sorted; key conditions, Limit, ExclusiveStartKey, LastEvaluatedKey and
  the wire format stay moto's own. Both Queries are checked to answer alike: every page
  (7 routes a page) of every measured partition of the two small tables, and the
  headline partition of the big one.
- moto's SendMessage computes every queue attribute, message counts included (a walk
  over every message in the queue), to read ContentBasedDeduplication, so each send
  costs O(queue depth) and a 1,000-message fan-out looks quadratic. In the batches that
  lookup answers as it does for any standard queue (the attribute is FIFO-only).
The claim for AWS rests on the key design, which the counts show: one Query per
partition the event can match, reading only that partition's items, whatever the table
holds, and one SendMessageBatch per 10 destinations.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import median, quartiles, require, verdict

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.2
ROUNDS = 9
BATCH = 10  # the router's BatchSize in template.yaml
SMALL_ROUTES, BIG_ROUTES = 10, 100_000
FANOUT = (1, 10, 100)
ACCOUNT = 1
SOURCE = "shop"
OPERATOR_TOKEN = "op_bench_operator_token"


@dataclass(frozen=True)
class Case:
    name: str
    table: str
    matches: int
    events: int  # per round, in batches of up to BATCH

    def batch_sizes(self) -> list[int]:
        return [min(BATCH, self.events - start) for start in range(0, self.events, BATCH)]


@dataclass
class Tally:
    """One case's batches in one round."""

    cpu: float = 0.0
    wall: float = 0.0
    moto: float = 0.0
    events: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    query_items: list[int] = field(default_factory=list)

    def sample(self) -> dict[str, Any]:
        return {
            "us_per_event": self.cpu / self.events * 1e6,
            "wall_us_per_event": self.wall / self.events * 1e6,
            "moto_us_per_event": self.moto / self.events * 1e6,
            "calls": dict(self.calls),
            "query_items": self.query_items,
        }


CASES = (
    Case("small_1", "small", 1, 40),
    Case("big_1", "big", 1, 40),
    Case("matched_1", "matched", 1, 20),
    Case("matched_10", "matched", 10, 10),
    Case("matched_100", "matched", 100, 5),
    Case("big_10", "big", 10, 10),
    Case("big_100", "big", 100, 5),
)
BY_NAME = {case.name: case for case in CASES}


def matched_type(matches: int) -> str:
    """The detail-type of the events that match `matches` webhook routes."""
    return f"order.Matched{matches}"


# ------------------------------------------------------------------ moto, at AWS's complexity


class _Flags(threading.local):
    partition: Any = None  # the partition key of the base-table Query in progress
    sending = False  # inside SQSBackend.send_message


_FLAGS = _Flags()


@contextmanager
def aws_complexity() -> Iterator[None]:
    """While active, two moto costs that AWS does not have are left out (see the module
    docstring): a base-table Query considers only the queried partition's items instead
    of sorting the whole table first, and sending to a standard queue does not walk the
    queue's messages (moto computes every queue attribute, message counts included, to
    read ContentBasedDeduplication, a FIFO-only attribute that a standard queue lacks)."""
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import Queue, SQSBackend

    query, all_items = Table.query, Table.all_items
    send_message = SQSBackend.send_message
    attributes: Any = vars(Queue)["attributes"]  # the property itself

    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        _FLAGS.partition = None if index_name else hash_key
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _FLAGS.partition = None

    def partition_items(self: Any) -> list[Any]:
        if _FLAGS.partition is None:
            return all_items(self)
        found = self.items.get(_FLAGS.partition)
        items = [] if found is None else list(found.values()) if self.range_key_attr else [found]
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    def flagged_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        _FLAGS.sending = True
        try:
            return send_message(self, *args, **kwargs)
        finally:
            _FLAGS.sending = False

    def send_attributes(queue: Any) -> dict[str, Any]:
        if _FLAGS.sending and not queue.fifo_queue:
            return {}
        found: dict[str, Any] = attributes.fget(queue)
        return found

    Table.query, Table.all_items = partition_query, partition_items  # type: ignore[method-assign]
    SQSBackend.send_message = flagged_send  # type: ignore[method-assign]
    Queue.attributes = property(send_attributes)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        Table.query, Table.all_items = query, all_items  # type: ignore[method-assign]
        SQSBackend.send_message = send_message  # type: ignore[method-assign]
        Queue.attributes = attributes  # type: ignore[method-assign]


# ------------------------------------------------------------------ clocks and counts


class MotoClock:
    """CPU time of this thread inside moto (BotocoreStubber.__call__: moto's request
    parsing, backend and response), on the same clock as the batches."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def install(self) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        call = BotocoreStubber.__call__
        clock = self

        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return call(self, *args, **kwargs)
            finally:
                clock.seconds += time.thread_time() - started

        BotocoreStubber.__call__ = timed  # type: ignore[method-assign]

    def reset(self) -> None:
        self.seconds = 0.0


class CallCounter:
    """AWS calls per operation, and the items each Query read, via botocore's hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.query_items: list[int] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call", self._before)
        client.meta.events.register("after-call", self._after)

    def _before(self, event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".", 2)[1:]
        self.calls[f"{service}.{operation}"] += 1

    def _after(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        if event_name.endswith(".Query"):
            self.query_items.append(int(parsed.get("ScannedCount", 0)))

    def reset(self) -> None:
        self.calls.clear()
        self.query_items.clear()


# ------------------------------------------------------------------ the index and the events


def _routes() -> dict[str, list[Any]]:
    """The route items of each table (DynamoDB JSON), as hookyard.routing makes them."""
    from hookyard.dynamo import to_item
    from hookyard.routing import WEBHOOK, Route, route_pk

    def webhook(account: int, type_string: str, webhook_id: str) -> dict[str, Any]:
        route = Route(route_pk(account, type_string), f"W#{webhook_id}", WEBHOOK, {"webhook_id": webhook_id})
        return to_item(route.item())

    def matched(matches: int) -> list[dict[str, Any]]:
        type_string = f"{SOURCE}:event-type:{matched_type(matches)}"
        return [webhook(ACCOUNT, type_string, f"m{matches}-{n:03d}") for n in range(matches)]

    def others(count: int) -> list[dict[str, Any]]:
        items = []
        for n in range(count):
            if n % 10 == 0:  # the same account, other types
                account, type_string = ACCOUNT, f"{SOURCE}:event-type:order.Other{n % 97}"
            elif n % 10 <= 3:  # other accounts, the measured types
                account = 2 + n % 4999
                type_string = f"{SOURCE}:event-type:{matched_type(FANOUT[n % len(FANOUT)])}"
            else:  # other accounts, other types
                account, type_string = 2 + n % 4999, f"crm:event-type:contact.Changed{n % 89}"
            items.append(webhook(account, type_string, f"u{n:06d}"))
        return items

    fanout = [item for matches in FANOUT for item in matched(matches)]
    return {
        "small": matched(1) + others(SMALL_ROUTES - 1),
        "matched": fanout,
        "big": fanout + others(BIG_ROUTES - len(fanout)),
    }


def envelope(matches: int, number: int) -> dict[str, Any]:
    """An event as the bus's routing rule delivers it (the detail as ingest builds it)."""
    event_id = f"01JBENCH{number:018d}"
    return {
        "version": "0",
        "id": f"bench-{number}",
        "detail-type": matched_type(matches),
        "source": SOURCE,
        "account": "123456789012",
        "time": "2025-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "account_id": ACCOUNT,
            "integration": "bench",
            "webhook_id": "01JBENCHINBOUND0000000000",
            "webhook_uuid": "00000000-0000-4000-8000-000000000000",
            "event_id": event_id,
            "received_at": "2025-01-01T00:00:00.000Z",
            "source_system": SOURCE,
            "event_type": matched_type(matches),
            "content_type": "application/json",
            "headers": {"content-type": "application/json"},
            "body": {"order": {"id": number, "status": "paid", "total": "12.50"}},
        },
    }


# ------------------------------------------------------------------ the measurement


class Bench:
    def __init__(self, tables: dict[str, str], meter: MotoClock, counter: CallCounter) -> None:
        from hookyard import aws
        from hookyard.dal.routes import RouteIndex
        from hookyard.queues import SqsQueue
        from router.logic import Router

        self.meter, self.counter = meter, counter
        self.delivery_url = os.environ["DELIVERY_QUEUE_URL"]
        flows, deliveries = SqsQueue(os.environ["FLOW_QUEUE_URL"]), SqsQueue(self.delivery_url)
        routing_queue = SqsQueue(os.environ["ROUTING_QUEUE_URL"])
        self.routers = {
            role: Router(index=RouteIndex(table), flows=flows, deliveries=deliveries, routing_queue=routing_queue)
            for role, table in tables.items()
        }
        self.sqs = aws.sqs()
        self.events = 0

    def batch(self, case: Case, size: int, tally: Tally) -> None:
        """Route one batch of `size` events of `case`, timed, and add it to `tally`."""
        router = self.routers[case.table]
        batch = []
        for _ in range(size):
            self.events += 1
            batch.append((f"m-{self.events}", envelope(case.matches, self.events)))
        gc.collect()
        self.meter.reset()
        self.counter.reset()
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = router.route(batch)
        tally.cpu += time.thread_time() - started_cpu
        tally.wall += time.perf_counter() - started
        tally.moto += self.meter.seconds
        tally.events += size
        tally.calls.update(self.counter.calls)
        tally.query_items += self.counter.query_items
        require(result.failed == [], f"{case.name}: the router reported failures {result.failed}")
        require(
            (result.events, result.destinations) == (size, size * case.matches),
            f"{case.name}: routed {result.events} events to {result.destinations} destinations",
        )
        self.check_and_purge(case, size * case.matches)

    def check_and_purge(self, case: Case, destinations: int) -> None:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.delivery_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        queued = int(attributes["ApproximateNumberOfMessages"])
        require(queued == destinations, f"{case.name}: {queued} of {destinations} messages queued")
        self.sqs.purge_queue(QueueUrl=self.delivery_url)

    def pages(self, role: str, pk: str, limit: int) -> list[tuple[list[Any], str | None]]:
        """Every page of partition `pk` of the `role` table, `limit` routes at a time."""
        found = []
        after: str | None = None
        while True:
            routes, after = self.routers[role].index.page(pk, after, limit)
            found.append((routes, after))
            if after is None:
                return found

    def timed_pages(self, role: str, pk: str) -> tuple[float, list[tuple[list[Any], str | None]]]:
        """The CPU ms of reading a partition (as the router does: up to 500 a page), and its pages."""
        started = time.thread_time()
        found = self.pages(role, pk, 500)
        return (time.thread_time() - started) * 1000, found


def measured_partitions() -> list[str]:
    """The partitions the measured events read: their types' and account 1's wildcard."""
    from hookyard.routing import route_pk, wildcard_pk

    return [route_pk(ACCOUNT, f"{SOURCE}:event-type:{matched_type(m)}") for m in FANOUT] + [wildcard_pk(ACCOUNT)]


def run_round(bench: Bench, order: tuple[Case, ...]) -> dict[str, Tally]:
    """Every case's events once, batch by batch in turn (ABC..ABC..), so load that comes
    and goes falls on every case alike."""
    tallies = {case.name: Tally() for case in order}
    plans = {case.name: case.batch_sizes() for case in order}
    for position in range(max(len(sizes) for sizes in plans.values())):
        for case in order:
            if position < len(plans[case.name]):
                bench.batch(case, plans[case.name][position], tallies[case.name])
    return tallies


def _fake_aws_environment() -> None:
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            # The delivery queue is purged after every batch (AWS allows one purge a minute).
            "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false",
        }
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def measure(rounds: int, warmup_rounds: int = 1) -> dict[str, Any]:
    """The child's work: samples per case, call counts, and setup figures, JSON-ready."""
    _fake_aws_environment()
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models import dynamodb_backends

    from hookyard_dev.embedded_aws import provision
    from hookyard_dev.runtime import add_code_paths, function_environment
    from hookyard_dev.stack import operator_parameters
    from hookyard_dev.template import ACCOUNT as AWS_ACCOUNT
    from hookyard_dev.template import REGION, Template

    template = Template.load(ROOT / "template.yaml", parameters=operator_parameters(OPERATOR_TOKEN))
    meter, counter = MotoClock(), CallCounter()
    meter.install()
    samples: dict[str, list[dict[str, Any]]] = {case.name: [] for case in CASES}
    with mock_aws():
        provision(template, lambda service: boto3.client(service, region_name=REGION))
        os.environ.update(function_environment(template))
        add_code_paths(template)
        from hookyard import aws

        aws.reset_clients()
        dynamodb = aws.dynamodb()
        [config] = [t for t in template.table_definitions() if t["TableName"] == os.environ["CONFIG_TABLE_NAME"]]
        started = time.perf_counter()
        tables: dict[str, str] = {}
        sizes: dict[str, int] = {}
        backend = dynamodb_backends[AWS_ACCOUNT][REGION]
        for role, items in _routes().items():
            tables[role] = f"{config['TableName']}-bench-{role}"
            dynamodb.create_table(**{**config, "TableName": tables[role]})
            table = backend.get_table(tables[role])
            for item in items:
                table.put_item(item)
            sizes[role] = dynamodb.describe_table(TableName=tables[role])["Table"]["ItemCount"]
            require(sizes[role] == len(items), f"the {role} table holds {sizes[role]} of {len(items)} routes")
        setup_s = time.perf_counter() - started
        counter.attach(dynamodb)
        counter.attach(aws.sqs())
        bench = Bench(tables, meter, counter)
        # moto's Query as shipped and by partition must answer alike: every page (7 routes
        # a page, so ExclusiveStartKey and LastEvaluatedKey are exercised) of every
        # partition the events read, in the two small tables.
        shipped = {
            (role, pk): bench.pages(role, pk, 7) for role in ("small", "matched") for pk in measured_partitions()
        }
        [headline] = [pk for pk in measured_partitions() if pk.endswith(matched_type(1))]
        started = time.perf_counter()
        gc.freeze()  # the tables' 100,000 items: no collection walks them again
        with aws_complexity():
            for (role, pk), pages in shipped.items():
                require(bench.pages(role, pk, 7) == pages, f"moto's Query by partition differs on {role} {pk}")
            by_partition = {role: bench.timed_pages(role, headline) for role in ("small", "big")}
            for round_no in range(warmup_rounds + rounds):
                tallies = run_round(bench, CASES if round_no % 2 == 0 else tuple(reversed(CASES)))
                if round_no >= warmup_rounds:
                    for name, tally in tallies.items():
                        samples[name].append(tally.sample())
        timed_s = time.perf_counter() - started
        stock: dict[str, float] = {}
        for role in ("small", "big"):  # moto as shipped, once (seconds at 100,000 items)
            stock[role], pages = bench.timed_pages(role, headline)
            require(pages == by_partition[role][1], f"moto's Query by partition differs on {role} {headline}")
    return {
        "samples": samples,
        "table_routes": sizes,
        "setup_s": setup_s,
        "timed_s": timed_s,
        "stock_query_ms": stock,
        "partition_query_ms": {role: ms for role, (ms, _) in by_partition.items()},
    }


# ------------------------------------------------------------------ the parent's side


@dataclass
class CaseResult:
    case: Case
    us: list[float]  # CPU µs per event, one per round
    wall_us: list[float]
    moto_us: list[float]
    calls: dict[str, float]  # per round, median over rounds
    query_items: list[int]  # what every Query of every timed round read

    @property
    def median_us(self) -> float:
        return median(self.us)

    @property
    def own_us(self) -> list[float]:
        """CPU µs per event outside moto: the router, and its clients' request building
        and response parsing (what stays when the AWS calls are network round trips)."""
        return [total - moto for total, moto in zip(self.us, self.moto_us, strict=True)]

    @property
    def per_destination_us(self) -> float:
        return self.median_us / self.case.matches

    def per_event(self, operation: str) -> float:
        return self.calls.get(operation, 0) / self.case.events

    def per_batch(self, operation: str) -> float:
        """Calls per batch of BATCH events."""
        return self.calls.get(operation, 0) * BATCH / self.case.events

    @property
    def items_per_event(self) -> float:
        """Items the event's Queries read, in all (what DynamoDB reads and bills)."""
        return sum(self.query_items) / (len(self.us) * self.case.events)

    def to_json(self) -> dict[str, Any]:
        q1, q3 = quartiles(self.us)
        return {
            "table": self.case.table,
            "matches": self.case.matches,
            "events_per_round": self.case.events,
            "median_cpu_us_per_event": round(self.median_us, 1),
            "p25_cpu_us": round(q1, 1),
            "p75_cpu_us": round(q3, 1),
            "median_cpu_us_per_destination": round(self.per_destination_us, 1),
            "median_moto_cpu_us_per_event": round(median(self.moto_us), 1),
            "median_outside_moto_cpu_us_per_event": round(median(self.own_us), 1),
            "median_wall_us_per_event": round(median(self.wall_us), 1),
            "calls_per_round": self.calls,
            "items_read_per_event": round(self.items_per_event, 2),
            "samples_cpu_us": [round(s, 1) for s in self.us],
        }


@dataclass
class RoutingResult:
    rounds: int
    cases: dict[str, CaseResult]
    table_routes: dict[str, int]
    setup_s: float
    timed_s: float
    stock_query_ms: dict[str, float]
    partition_query_ms: dict[str, float]

    def case(self, table: str, matches: int) -> CaseResult:
        return self.cases[f"{table}_{matches}"]

    @property
    def small(self) -> CaseResult:
        return self.case("small", 1)

    @property
    def big(self) -> CaseResult:
        return self.case("big", 1)

    @property
    def ratio(self) -> float:
        """Headline: CPU time per event, 100,000 routes / 10 routes (the event matches one)."""
        return self.big.median_us / self.small.median_us

    @property
    def outside_moto_ratio(self) -> float:
        return median(self.big.own_us) / median(self.small.own_us)

    @property
    def wall_ratio(self) -> float:
        return median(self.big.wall_us) / median(self.small.wall_us)

    def unmatched_ratio(self, matches: int) -> float:
        """An event's time with 99,889 unmatched routes in the index / without them."""
        return self.case("big", matches).median_us / self.case("matched", matches).median_us

    def marginal_us(self, table: str, matches: int) -> float:
        """What each destination beyond the first adds to an event's time."""
        one, many = self.case(table, 1), self.case(table, matches)
        return (many.median_us - one.median_us) / (matches - 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "batch_size": BATCH,
            "clock": "CPU time of the routing thread",
            "table_routes": self.table_routes,
            "ratio": round(self.ratio, 3),
            "target": TARGET,
            "verdict": verdict(self.ratio, TARGET),
            "outside_moto_ratio": round(self.outside_moto_ratio, 3),
            "wall_ratio": round(self.wall_ratio, 3),
            "unmatched_ratio": {str(m): round(self.unmatched_ratio(m), 3) for m in FANOUT},
            "marginal_cpu_us_per_destination": {
                table: {str(m): round(self.marginal_us(table, m), 1) for m in FANOUT[1:]}
                for table in ("matched", "big")
            },
            "cases": {name: result.to_json() for name, result in self.cases.items()},
            "stock_moto_query_cpu_ms": {k: round(v, 1) for k, v in self.stock_query_ms.items()},
            "partition_moto_query_cpu_ms": {k: round(v, 1) for k, v in self.partition_query_ms.items()},
            "setup_s": round(self.setup_s, 1),
            "timed_s": round(self.timed_s, 1),
        }


def _case_result(case: Case, samples: list[dict[str, Any]]) -> CaseResult:
    operations = sorted({op for sample in samples for op in sample["calls"]})
    return CaseResult(
        case,
        us=[s["us_per_event"] for s in samples],
        wall_us=[s["wall_us_per_event"] for s in samples],
        moto_us=[s["moto_us_per_event"] for s in samples],
        calls={op: median([sample["calls"].get(op, 0) for sample in samples]) for op in operations},
        query_items=[n for s in samples for n in s["query_items"]],
    )


def run(rounds: int = ROUNDS) -> RoutingResult:
    """Measure in a child process (see the module docstring) and read its results."""
    with tempfile.TemporaryDirectory(prefix="hookyard-bench-") as tmp:
        out = Path(tmp) / "routing.json"
        child = subprocess.run(
            [sys.executable, "-m", "bench.routing", "--child", str(out), "--rounds", str(rounds)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if child.returncode != 0 or not out.exists():
            raise SystemExit(f"bench: the routing benchmark's child process failed (exit {child.returncode})")
        data = json.loads(out.read_text())
    return RoutingResult(
        rounds=rounds,
        cases={case.name: _case_result(case, data["samples"][case.name]) for case in CASES},
        table_routes=data["table_routes"],
        setup_s=data["setup_s"],
        timed_s=data["timed_s"],
        stock_query_ms=data["stock_query_ms"],
        partition_query_ms=data["partition_query_ms"],
    )


def describe(rounds: int) -> str:
    """The line printed before the benchmark runs."""
    return (
        f"routing: {rounds} rounds (+1 warm-up) of {len(CASES)} cases, router on moto "
        f"({SMALL_ROUTES:,} vs {BIG_ROUTES:,} routes in the index; 1, 10, 100 matches) (child process) ..."
    )


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds of every case (default {ROUNDS})")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child_out: Path = args.child
        child_out.write_text(json.dumps(measure(args.rounds)))
        return 0
    from bench.report import print_routing

    print(describe(args.rounds), flush=True)
    print_routing(run(args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
