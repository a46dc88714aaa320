"""router.logic with in-memory fakes: fan-out to the flow and delivery queues, one
batched send per queue per batch, pages for hot accounts, and what is left to SQS."""

from __future__ import annotations

from typing import Any

from hookyard.routing import Route, route_pk, wildcard_pk
from router.logic import Router
from tests.unit.fakes import MemoryQueue, MemoryRouteIndex


def event(n: int = 1, account_id: int = 1, detail_type: str = "ticket.NewReply", **detail: Any) -> dict[str, Any]:
    return {
        "id": f"eb-{n}",
        "source": "slack",
        "detail-type": detail_type,
        "detail": {"account_id": account_id, "integration": "acme", "event_id": f"01EVENT{n}", "received_at": "t",
                   "body": {"n": n}, **detail},
    }  # fmt: skip


def webhook_route(webhook_id: str, type_string: str = "slack:event-type:ticket.NewReply", account_id: int = 1) -> Route:
    return Route(route_pk(account_id, type_string), f"W#{webhook_id}", "webhook", {"webhook_id": webhook_id})


def job_spec_route(name: str = "on_reply") -> Route:
    return Route(
        route_pk(1, "slack:event-type:ticket.NewReply"),
        f"J#acme#{name}",
        "job_spec",
        {"integration": "acme", "job_spec": name},
    )


def router(index: MemoryRouteIndex, page_size: int = 500) -> tuple[Router, MemoryQueue, MemoryQueue, MemoryQueue]:
    flows, deliveries, routing_queue = MemoryQueue(), MemoryQueue(), MemoryQueue()
    return Router(index, flows, deliveries, routing_queue, page_size=page_size), flows, deliveries, routing_queue


def test_an_event_goes_to_its_job_specs_and_webhooks_and_no_one_else() -> None:
    index = MemoryRouteIndex(
        [job_spec_route(), webhook_route("01A"), webhook_route("01OTHERTYPE", "slack:event-type:x"),
         webhook_route("01OTHERACCOUNT", account_id=2)]
    )  # fmt: skip
    subject, flows, deliveries, _ = router(index)

    routed = subject.route([("m1", event())])

    assert routed.failed == []
    assert [(b["kind"], b["job_spec"]) for b in flows.bodies] == [("job_spec", "on_reply")]
    assert [(b["kind"], b["webhook_id"]) for b in deliveries.bodies] == [("subscription", "01A")]
    assert deliveries.bodies[0]["event"]["event_type"] == "ticket.NewReply"


def test_a_batch_is_sent_with_one_batched_request_per_queue() -> None:
    index = MemoryRouteIndex([webhook_route("01A"), webhook_route("01B")])
    subject, _, deliveries, _ = router(index)

    subject.route([(f"m{n}", event(n)) for n in range(10)])

    assert deliveries.batches == [20]


def test_each_event_reads_one_page_of_its_type_and_one_of_the_wildcard() -> None:
    index = MemoryRouteIndex([webhook_route("01A")])
    subject, *_ = router(index)

    subject.route([("m1", event())])

    assert [pk for pk, _, _ in index.reads] == [route_pk(1, "slack:event-type:ticket.NewReply"), wildcard_pk(1)]


def test_a_hot_account_fans_out_in_pages_without_losing_or_repeating_a_destination() -> None:
    ids = [f"01W{n:04d}" for n in range(25)]
    index = MemoryRouteIndex([webhook_route(i) for i in ids])
    subject, _, deliveries, routing_queue = router(index, page_size=10)

    subject.route([("m1", event())])
    pages = 1
    while routing_queue.sent:
        continuation, _ = routing_queue.sent.pop(0)
        assert continuation["kind"] == "route_page"
        subject.route([(f"page{pages}", continuation)])
        pages += 1

    assert sorted(b["webhook_id"] for b in deliveries.bodies) == ids
    assert pages == 3


def test_routing_the_same_message_twice_sends_the_same_messages() -> None:
    index = MemoryRouteIndex([webhook_route("01A"), job_spec_route()])
    subject, flows, deliveries, _ = router(index)

    subject.route([("m1", event())])
    subject.route([("m1", event())])

    assert deliveries.bodies[0] == deliveries.bodies[1]
    assert flows.bodies[0] == flows.bodies[1]


def test_when_a_queue_refuses_the_records_with_messages_for_it_are_left_to_sqs() -> None:
    index = MemoryRouteIndex([webhook_route("01A", "slack:event-type:hit")])
    flows, deliveries, routing_queue = MemoryQueue(), MemoryQueue(fail=True), MemoryQueue()
    subject = Router(index, flows, deliveries, routing_queue)

    routed = subject.route([("hit", event(1, detail_type="hit")), ("miss", event(2, detail_type="miss"))])

    assert routed.failed == ["hit"]


def test_an_event_hookyard_cannot_route_is_dropped_not_retried() -> None:
    subject, flows, deliveries, _ = router(MemoryRouteIndex())

    routed = subject.route([("m1", {"source": "aws.s3", "detail-type": "x", "detail": {}})])

    assert routed.failed == []
    assert routed.events == 0
    assert flows.sent == deliveries.sent == []


def test_a_hookyard_notice_about_a_webhook_is_not_sent_to_that_webhook() -> None:
    failed = "hookyard:event-type:webhook.invocation.failed"
    index = MemoryRouteIndex([webhook_route("01SELF", failed), webhook_route("01WATCHER", failed)])
    subject, _, deliveries, _ = router(index)
    notice = {
        "id": "eb-n",
        "source": "hookyard",
        "detail-type": "webhook.invocation.failed",
        "detail": {"account_id": 1, "event_id": "01N", "received_at": "t", "about_webhook": "01SELF",
                   "body": {"webhook_id": "01SELF"}},
    }  # fmt: skip

    subject.route([("m1", notice)])

    assert [b["webhook_id"] for b in deliveries.bodies] == ["01WATCHER"]


def test_a_batch_reads_each_partition_once() -> None:
    from router.logic import BatchRoutes

    index = MemoryRouteIndex([webhook_route("01A")])
    subject = Router(BatchRoutes(index), MemoryQueue(), MemoryQueue(), MemoryQueue())

    subject.route([(f"m{n}", event(n)) for n in range(10)])

    assert len(index.reads) == 2  # the type's partition and the wildcard, once each
