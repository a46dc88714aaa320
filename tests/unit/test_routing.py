"""hookyard.routing: the subscription index's keys, what each webhook, job spec and
trigger routes, and which messages an event makes of the routes it finds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hookyard import routing
from hookyard.models.registry import JobSpecRecord, JobSpecState
from hookyard.models.triggers import TriggerRecord
from hookyard.models.webhooks import HttpMethod, RequestFormat, WebhookRecord, WebhookStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def webhook(**fields: Any) -> WebhookRecord:
    values: dict[str, Any] = {
        "account_id": 1,
        "id": "01WEBHOOK",
        "name": "hook",
        "endpoint": "https://example.com/hook",
        "http_method": HttpMethod.POST,
        "request_format": RequestFormat.JSON,
        "status": WebhookStatus.ACTIVE,
        "subscriptions": ["slack:event-type:ticket.NewReply", "zen:event-type:ticket.created"],
        "signing_secret_sealed": "sealed",
        "created_at": NOW,
        "created_by": "t",
        "updated_at": NOW,
        "updated_by": "t",
    }
    return WebhookRecord(**{**values, **fields})


def job_spec(**fields: Any) -> JobSpecRecord:
    values: dict[str, Any] = {
        "account_id": 1,
        "integration": "acme",
        "name": "on_ticket",
        "bundle": "b",
        "event_source": "support",
        "event_type": "ticket.TicketCreated",
        "flow_name": "zis:acme:flow:f",
        "state": JobSpecState.INSTALLED,
    }
    return JobSpecRecord(**{**values, **fields})


def trigger(conditions: dict[str, Any], **fields: Any) -> TriggerRecord:
    values: dict[str, Any] = {
        "account_id": 1,
        "id": "01TRIGGER",
        "title": "t",
        "active": True,
        "conditions": {"all": [], "any": [], **conditions},
        "actions": [
            {"field": "notification_webhook", "value": ["01A", "{}"]},
            {"field": "notification_webhook", "value": ["01B", "{}"]},
        ],
        "created_at": NOW,
        "created_by": "t",
        "updated_at": NOW,
        "updated_by": "t",
    }
    return TriggerRecord(**{**values, **fields})


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def envelope(body: Any = None, source: str = "slack", detail_type: str = "ticket.NewReply", **detail: Any) -> dict:
    return {
        "id": "eb-1",
        "source": source,
        "detail-type": detail_type,
        "detail": {"account_id": 1, "integration": "acme", "event_id": "01EVENT", "received_at": "t", "body": body,
                   **detail},
    }  # fmt: skip


# ------------------------------------------------------------------ keys


def test_a_webhook_routes_each_subscribed_type_of_its_account() -> None:
    routes = routing.webhook_routes(webhook())

    assert [(r.pk, r.sk) for r in routes] == [
        ("ROUTE#1#slack:event-type:ticket.NewReply", "W#01WEBHOOK"),
        ("ROUTE#1#zen:event-type:ticket.created", "W#01WEBHOOK"),
    ]
    assert all(r.fields == {"webhook_id": "01WEBHOOK"} for r in routes)


@pytest.mark.parametrize(
    "record",
    [
        webhook(status=WebhookStatus.INACTIVE),
        webhook(subscriptions=["conditional_ticket_events"]),
    ],
)
def test_inactive_and_trigger_connected_webhooks_route_nothing(record: WebhookRecord) -> None:
    assert routing.webhook_routes(record) == []


def test_an_installed_job_spec_routes_its_type_and_an_uninstalled_one_nothing() -> None:
    [route] = routing.job_spec_routes(job_spec())

    assert (route.pk, route.sk) == ("ROUTE#1#support:event-type:ticket.TicketCreated", "J#acme#on_ticket")
    assert route.fields == {"integration": "acme", "job_spec": "on_ticket"}
    assert routing.job_spec_routes(job_spec(state=JobSpecState.NOT_INSTALLED)) == []


@pytest.mark.parametrize(
    ("conditions", "partitions"),
    [
        ({}, ["ROUTE#1#*"]),
        ({"all": [cond("priority", "is", "urgent")]}, ["ROUTE#1#*"]),
        ({"all": [cond("type", "is", "slack:event-type:a"), cond("x", "present")]}, ["ROUTE#1#slack:event-type:a"]),
        (
            {"any": [cond("type", "is", "slack:event-type:a"), cond("type", "is", "zen:event-type:b")]},
            ["ROUTE#1#slack:event-type:a", "ROUTE#1#zen:event-type:b"],
        ),
        ({"any": [cond("type", "is", "slack:event-type:a"), cond("x", "present")]}, ["ROUTE#1#*"]),
        ({"all": [cond("type", "is_not", "slack:event-type:a")]}, ["ROUTE#1#*"]),
        ({"all": [cond("type", "is", "not a type")]}, ["ROUTE#1#*"]),
        ({"any": [cond("type", "is", f"s:event-type:{n}") for n in range(21)]}, ["ROUTE#1#*"]),
    ],
)
def test_a_trigger_is_indexed_under_the_types_it_requires_else_the_wildcard(
    conditions: dict[str, Any], partitions: list[str]
) -> None:
    routes = routing.trigger_routes(trigger(conditions))

    assert [r.pk for r in routes] == partitions
    assert {r.sk for r in routes} == {"T#01TRIGGER"}
    assert routes[0].fields["webhooks"] == ["01A", "01B"]


def test_an_inactive_trigger_routes_nothing() -> None:
    assert routing.trigger_routes(trigger({}, active=False)) == []


def test_changes_name_what_to_delete_and_what_to_put() -> None:
    old = routing.webhook_routes(webhook(subscriptions=["a:event-type:1", "a:event-type:2"]))
    new = routing.webhook_routes(webhook(subscriptions=["a:event-type:2", "a:event-type:3"]))

    deletes, puts = routing.changes(old, new)

    assert [r.pk for r in deletes] == ["ROUTE#1#a:event-type:1"]
    assert [r.pk for r in puts] == ["ROUTE#1#a:event-type:3"]


def test_a_trigger_whose_conditions_change_is_put_again_under_the_same_key() -> None:
    old = routing.trigger_routes(trigger({"all": [cond("p", "is", 1)]}))
    new = routing.trigger_routes(trigger({"all": [cond("p", "is", 2)]}))

    deletes, puts = routing.changes(old, new)

    assert deletes == []
    assert [json.loads(r.fields["conditions"])["all"][0]["value"] for r in puts] == [2]


# ------------------------------------------------------------------ events


def test_an_event_reads_its_type_then_the_wildcard_and_its_detail_carries_source_and_type() -> None:
    event = routing.bus_event(envelope({"x": 1}))

    assert event.partitions() == ["ROUTE#1#slack:event-type:ticket.NewReply", "ROUTE#1#*"]
    assert event.detail["source_system"] == "slack"
    assert event.detail["event_type"] == "ticket.NewReply"


def test_a_zendesk_type_is_its_own_key_whatever_the_source_and_aliases_are_read_too() -> None:
    zendesk = routing.bus_event(envelope(source="support", detail_type="zen:event-type:ticket.created"))
    aliased = routing.bus_event(envelope(type_aliases=["zen:event-type:ticket.created"]))

    assert zendesk.partitions()[0] == "ROUTE#1#zen:event-type:ticket.created"
    assert aliased.partitions() == [
        "ROUTE#1#slack:event-type:ticket.NewReply",
        "ROUTE#1#zen:event-type:ticket.created",
        "ROUTE#1#*",
    ]


@pytest.mark.parametrize(
    "broken",
    [
        {"source": "s", "detail-type": "t"},
        {"source": "s", "detail-type": "t", "detail": {"x": 1}},
        {"source": "s", "detail-type": "t", "detail": {"account_id": "1"}},
        {"source": "s", "detail-type": "t", "detail": {"account_id": True}},
        {"detail-type": "t", "detail": {"account_id": 1}},
    ],
)
def test_an_event_without_an_account_source_or_type_is_not_routable(broken: dict[str, Any]) -> None:
    with pytest.raises(routing.NotRoutable):
        routing.bus_event(broken)


def test_job_specs_take_only_events_of_their_own_integration() -> None:
    [route] = routing.job_spec_routes(job_spec(event_source="slack", event_type="ticket.NewReply"))

    ours = routing.destinations(routing.bus_event(envelope()), [route])
    theirs = routing.destinations(routing.bus_event(envelope(integration="other")), [route])

    assert [m["job_spec"] for m in ours.flows] == ["on_ticket"]
    assert ours.flows[0]["kind"] == "job_spec"
    assert theirs.flows == []


def test_a_destination_found_through_a_type_and_its_alias_is_sent_once() -> None:
    record = webhook(subscriptions=["slack:event-type:ticket.NewReply", "zen:event-type:ticket.created"])
    event = routing.bus_event(envelope(type_aliases=["zen:event-type:ticket.created"]))
    seen: set[tuple[str, str]] = set()

    first = routing.destinations(event, routing.webhook_routes(record)[:1], seen)
    second = routing.destinations(event, routing.webhook_routes(record)[1:], seen)

    assert [m["webhook_id"] for m in first.deliveries] == ["01WEBHOOK"]
    assert second.deliveries == []


BODY = {"ticket": {"priority": "urgent", "tags": ["vip"], "score": 7, "title": "Printer on fire"}}


@pytest.mark.parametrize(
    ("condition", "fires"),
    [
        (cond("ticket.priority", "is", "urgent"), True),
        (cond("ticket.priority", "is", "low"), False),
        (cond("ticket.priority", "is_not", "low"), True),
        (cond("ticket.priority", "is_not", "urgent"), False),
        (cond("ticket.title", "includes", "fire"), True),
        (cond("ticket.tags", "includes", "vip"), True),
        (cond("ticket.tags", "not_includes", "vip"), False),
        (cond("ticket.title", "not_includes", "flood"), True),
        (cond("ticket.score", "greater_than", 5), True),
        (cond("ticket.score", "greater_than", "9"), False),
        (cond("ticket.score", "less_than", 10), True),
        (cond("ticket.score", "less_than", 7), False),
        (cond("ticket.assignee", "present"), False),
        (cond("ticket.assignee", "not_present"), True),
        (cond("type", "is", "slack:event-type:ticket.NewReply"), True),
        (cond("account_id", "is", 2), False),
    ],
)
def test_the_router_fires_a_trigger_exactly_when_its_conditions_hold(condition: dict[str, Any], fires: bool) -> None:
    routes = routing.trigger_routes(trigger({"all": [condition]}))

    found = routing.destinations(routing.bus_event(envelope(BODY)), routes)

    expected = [("01TRIGGER", 0, "01A"), ("01TRIGGER", 1, "01B")] if fires else []
    assert [(m["trigger_id"], m["action"], m["webhook_id"]) for m in found.deliveries] == expected
