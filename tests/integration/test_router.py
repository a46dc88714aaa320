"""The router through its real handler on moto: the bus's one rule hands it every
account event, it reads the subscription index and fans out to the delivery and flow
queues, in pages for a hot account."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest

from hookyard.dal.routes import puts
from hookyard.routing import Route, route_pk
from hookyard_dev.template import REGION
from tests.integration.conftest import put_bus_event, queued, route_queued

pytestmark = pytest.mark.usefixtures("aws_env")

DETAIL = {"account_id": 1, "integration": "acme", "event_id": "01HOT", "received_at": "t", "body": {"n": 1}}


def index(routes: list[Route]) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    writes = [{"PutRequest": {"Item": w["Put"]["Item"]}} for w in puts(os.environ["CONFIG_TABLE_NAME"], routes)]
    for start in range(0, len(writes), 25):
        dynamodb.batch_write_item(RequestItems={os.environ["CONFIG_TABLE_NAME"]: writes[start : start + 25]})


def webhook_routes(count: int, type_string: str = "slack:event-type:ticket.NewReply") -> list[Route]:
    return [
        Route(route_pk(1, type_string), f"W#01HOT{n:05d}", "webhook", {"webhook_id": f"01HOT{n:05d}"})
        for n in range(count)
    ]


def test_a_hot_account_with_1000_webhooks_on_one_type_gets_each_exactly_once() -> None:
    index(webhook_routes(1000))
    index(webhook_routes(50, "slack:event-type:other"))

    put_bus_event("slack", "ticket.NewReply", DETAIL)
    answers = route_queued()

    delivered: list[dict[str, Any]] = queued("DELIVERY_QUEUE_URL")
    assert sorted(m["webhook_id"] for m in delivered) == [f"01HOT{n:05d}" for n in range(1000)]
    assert {m["event"]["event_id"] for m in delivered} == {"01HOT"}
    assert len(answers) >= 2  # the fan-out continued in pages on the routing queue


def test_an_event_of_no_account_is_not_routed() -> None:
    index(webhook_routes(1))

    put_bus_event("slack", "ticket.NewReply", {"integration": "acme", "body": {}})

    assert queued("ROUTING_QUEUE_URL") == []
