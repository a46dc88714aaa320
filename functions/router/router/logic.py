"""Routing rules: read an event's destinations from the subscription index and send one
message per destination (hookyard.routing says what matches; this module says how a
batch of routing messages becomes queue messages).

A batch's messages are sent together (SendMessageBatch: 10 per request), so a batch of 10
events each reaching one webhook costs one SQS request, not ten. A routing message reads
at most `page_size` routes; an event with more destinations (a hot account: thousands of
webhooks on one type) continues in a `route_page` message on the routing queue, which
carries the event and where to read on. Every downstream id is derived from the event and
the destination, so a routing message handled twice (a redelivery, or a failure after some
sends) produces the same invocations and executions, which delivery and the flow runner
dedupe: at least once, never twice in effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hookyard import routing
from hookyard.queues import Queue, QueueError
from router.log import logger

PAGE_SIZE = 500
ROUTE_PAGE = "route_page"


class RouteReader(Protocol):
    def page(self, pk: str, after: str | None, limit: int) -> tuple[list[routing.Route], str | None]: ...


class BatchRoutes:
    """A RouteReader that reads each partition once per batch (whole partitions read in
    one page only): ten events of one type in a batch cost one query, not ten. Made for
    each batch, so nothing it keeps outlives the batch: a route removed is gone for the
    next batch (and its destination is checked again where it is used)."""

    def __init__(self, index: RouteReader) -> None:
        self.index = index
        self._kept: dict[str, list[routing.Route]] = {}

    def page(self, pk: str, after: str | None, limit: int) -> tuple[list[routing.Route], str | None]:
        kept = self._kept.get(pk) if after is None else None
        if kept is not None and len(kept) <= limit:
            return kept, None
        routes, following = self.index.page(pk, after, limit)
        if after is None and following is None:
            self._kept[pk] = routes
        return routes, following


@dataclass
class Planned:
    """What one routing message makes: destination messages, and its continuation."""

    flows: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    continuation: dict[str, Any] | None = None


@dataclass(frozen=True)
class Routed:
    events: int
    destinations: int
    failed: list[str]  # ids of the records to leave to SQS


@dataclass
class Router:
    index: RouteReader
    flows: Queue
    deliveries: Queue
    routing_queue: Queue
    page_size: int = PAGE_SIZE

    def plan(self, body: Mapping[str, Any]) -> Planned | None:
        """The messages for one routing message (None: not an event Hookyard routes)."""
        if body.get("kind") == ROUTE_PAGE:
            envelope, partitions, after = body["event"], list(body["keys"]), body.get("after")
        else:
            envelope, partitions, after = body, None, None
        try:
            event = routing.bus_event(envelope)
        except routing.NotRoutable as exc:
            logger.info("event not routed", reason=str(exc), source=envelope.get("source"))
            return None
        partitions = partitions if partitions is not None else event.partitions()
        planned = Planned()
        budget = self.page_size
        seen: set[tuple[str, str]] = set()
        for position, pk in enumerate(partitions):
            while True:
                if budget <= 0:
                    planned.continuation = {
                        "kind": ROUTE_PAGE,
                        "event": dict(envelope),
                        "keys": partitions[position:],
                        "after": after,
                    }
                    return planned
                routes, after = self.index.page(pk, after, budget)
                found = routing.destinations(event, routes, seen)
                planned.flows += found.flows
                planned.deliveries += found.deliveries
                budget -= len(routes)
                if after is None:
                    break  # the next partition is read from its start
        return planned

    def route(self, records: Sequence[tuple[str, Mapping[str, Any]]]) -> Routed:
        """Route a batch of (record id, body); the ids of records that failed are returned
        so only they are redelivered."""
        failed: set[str] = set()
        sends: dict[str, tuple[Queue, list[dict[str, Any]], set[str]]] = {
            "flows": (self.flows, [], set()),
            "deliveries": (self.deliveries, [], set()),
            "routing": (self.routing_queue, [], set()),
        }
        events = destinations = 0
        for record_id, body in records:
            try:
                planned = self.plan(body)
            except Exception:
                logger.exception("routing failed", message_id=record_id)
                failed.add(record_id)
                continue
            if planned is None:
                continue
            events += 1
            destinations += len(planned.flows) + len(planned.deliveries)
            for name, messages in (
                ("flows", planned.flows),
                ("deliveries", planned.deliveries),
                ("routing", [planned.continuation] if planned.continuation else []),
            ):
                if messages:
                    sends[name][1].extend(messages)
                    sends[name][2].add(record_id)
        for name, (queue, messages, owners) in sends.items():
            if not messages:
                continue
            try:
                queue.send_batch(messages)
            except QueueError:
                logger.exception("fan-out failed", queue=name, messages=len(messages))
                failed |= owners
        return Routed(events=events, destinations=destinations, failed=sorted(failed))
