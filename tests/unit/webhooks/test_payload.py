"""The Zendesk-schema payload an outbound webhook receives for a bus event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hookyard.dal.ingest_lookup import IngestTarget
from hookyard.webhooks.payload import (
    PAYLOAD_FIELDS,
    ZENDESK_EVENT_VERSION,
    build_payload,
    content_type,
    event_type_string,
    parse_event_type,
    sample_event,
)
from ingest.logic import Request, build_entry

DETAIL: dict[str, Any] = {
    "account_id": 1,
    "integration": "my_integration",
    "webhook_id": "01FDXQXBGQRZ3XN28WKX559PR2",
    "webhook_uuid": "d339ba7f-4a42-40fc-ae75-0e93315d3d0f",
    "event_id": "01JD5W3S7Y1Q9M8K4T6R2N0B3C",
    "received_at": "2026-11-23T09:30:00.123Z",
    "source_system": "slack",
    "event_type": "ticket.NewReply",
    "content_type": "application/json",
    "headers": {"user-agent": "curl/8.5.0", "content-type": "application/json", "x-slack-signature": "v0=abc"},
    "body": {"subject": "My printer is on fire!", "ticket": {"id": 35436, "priority": "urgent"}},
}
BUS_EVENT: dict[str, Any] = {"source": "slack", "detail-type": "ticket.NewReply", "detail": DETAIL}


def with_body(body: Any, **changes: Any) -> dict[str, Any]:
    return {**DETAIL, "body": body, **changes}


# ------------------------------------------------------------------ the mapping


def test_an_inbound_webhook_event_becomes_a_zendesk_schema_payload() -> None:
    payload = build_payload(BUS_EVENT)

    assert payload == {
        "type": "slack:event-type:ticket.NewReply",
        "account_id": 1,
        "id": "01JD5W3S7Y1Q9M8K4T6R2N0B3C",
        "time": "2026-11-23T09:30:00.123Z",
        "zendesk_event_version": ZENDESK_EVENT_VERSION,
        "subject": "zen:inbound_webhook:d339ba7f-4a42-40fc-ae75-0e93315d3d0f",
        "detail": {"subject": "My printer is on fire!", "ticket": {"id": 35436, "priority": "urgent"}},
        "event": {
            "meta": {
                "integration": "my_integration",
                "inbound_webhook_uuid": "d339ba7f-4a42-40fc-ae75-0e93315d3d0f",
                "content_type": "application/json",
            }
        },
    }


def test_the_payloads_fields_come_in_the_schemas_order() -> None:
    assert tuple(build_payload(BUS_EVENT)) == PAYLOAD_FIELDS
    assert PAYLOAD_FIELDS == ("type", "account_id", "id", "time", "zendesk_event_version", "subject", "detail", "event")


def test_the_detail_alone_as_a_rule_delivers_it_gives_the_same_payload() -> None:
    assert build_payload(DETAIL) == build_payload(BUS_EVENT)


def test_the_senders_request_headers_are_not_passed_on() -> None:
    text = json.dumps(build_payload(BUS_EVENT))

    assert "x-slack-signature" not in text
    assert "curl/8.5.0" not in text


@pytest.mark.parametrize("body", ["plain text", "<xml/>", [1, 2], 42, None])
def test_a_body_that_is_not_an_object_is_carried_under_detail_body(body: Any) -> None:
    payload = build_payload(with_body(body, content_type="text/plain"))

    assert payload["detail"] == {"body": body}
    assert payload["event"]["meta"]["content_type"] == "text/plain"


def test_an_event_not_from_an_inbound_webhook_has_the_event_as_subject() -> None:
    detail = {k: v for k, v in DETAIL.items() if k not in ("webhook_uuid", "webhook_id", "integration")}
    detail.update(source_system="support", event_type="zen:event-type:ticket.created", content_type=None)

    payload = build_payload(detail)

    assert payload["type"] == "zen:event-type:ticket.created"
    assert payload["subject"] == "zen:event:01JD5W3S7Y1Q9M8K4T6R2N0B3C"
    assert payload["event"] == {"meta": {}}


@pytest.mark.parametrize("missing", ["account_id", "event_id", "received_at", "source_system", "event_type"])
def test_an_event_without_what_the_payload_needs_is_refused(missing: str) -> None:
    detail = {k: v for k, v in DETAIL.items() if k != missing}

    with pytest.raises(ValueError, match="the event has no"):
        build_payload(detail)


def test_the_payload_reads_what_ingest_publishes() -> None:
    target = IngestTarget(
        account_id=7,
        integration="acme",
        webhook_id="01W",
        webhook_uuid="u-u-i-d",
        event_type="order.paid",
        source_system="shop",
        username="u",
        password_hash="h",
    )
    request = Request(token="t", headers={"content-type": "application/json"}, body=b'{"order": {"total": 12.5}}')
    entry, event_id = build_entry(target, request, "hookyard", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    payload = build_payload(
        {"source": entry["Source"], "detail-type": entry["DetailType"], "detail": json.loads(entry["Detail"])}
    )

    assert payload["type"] == "shop:event-type:order.paid"
    assert (payload["account_id"], payload["id"], payload["time"]) == (7, event_id, "2026-01-02T03:04:05.000Z")
    assert payload["subject"] == "zen:inbound_webhook:u-u-i-d"
    assert payload["detail"] == {"order": {"total": 12.5}}


def test_an_event_from_a_zendesk_source_is_delivered_as_the_payload_zendesk_sent() -> None:
    # Given what ingest publishes for a Zendesk source's ticket.created
    from hookyard.dal.ingest_lookup import ZendeskTarget
    from ingest.zendesk import build_event
    from tests.conftest import EVENTS

    text = (EVENTS / "zendesk" / "ticket.created.json").read_bytes()
    target = ZendeskTarget(7, "acme", "01S", "s-u-u-i-d", "acme", 22129848, "sealed", 300)
    request = Request(token="t", headers={"content-type": "application/json"}, body=text)
    entry = build_event(target, request, "hookyard", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)).entry

    # When
    payload = build_payload(
        {"source": entry["Source"], "detail-type": entry["DetailType"], "detail": json.loads(entry["Detail"])}
    )

    # Then it is Zendesk's own, unchanged
    assert payload == json.loads(text)


# ------------------------------------------------------------------ event type strings


@pytest.mark.parametrize(
    ("source", "detail_type", "expected"),
    [
        ("slack", "ticket.NewReply", "slack:event-type:ticket.NewReply"),
        ("support", "zen:event-type:ticket.created", "zen:event-type:ticket.created"),
        ("anything", "zen:event-type:user.deleted", "zen:event-type:user.deleted"),
        ("support", "ticket.created", "support:event-type:ticket.created"),
    ],
)
def test_the_event_type_string_is_source_event_type_detail_type_unless_already_zendesks(
    source: str, detail_type: str, expected: str
) -> None:
    assert event_type_string(source, detail_type) == expected


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("slack:event-type:ticket.NewReply", ("slack", "ticket.NewReply")),
        ("zen:event-type:ticket.created", ("support", "zen:event-type:ticket.created")),
        ("a.b:event-type:x:y", ("a.b", "x:y")),
    ],
)
def test_an_event_type_string_parses_back_to_the_bus_source_and_detail_type(
    event_type: str, expected: tuple[str, str]
) -> None:
    assert parse_event_type(event_type) == expected
    assert event_type_string(*expected) == event_type


@pytest.mark.parametrize(
    "event_type", ["ticket.created", ":event-type:x", "slack:event-type:", "zen:event-type:", "slack:event_type:x"]
)
def test_a_string_that_is_not_an_event_type_is_refused_with_the_expected_form(event_type: str) -> None:
    with pytest.raises(ValueError, match="event type"):
        parse_event_type(event_type)


# ------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    ("request_format", "expected"),
    [("json", "application/json"), ("xml", "application/xml"), ("form_encoded", "application/x-www-form-urlencoded")],
)
def test_each_request_format_has_its_content_type(request_format: str, expected: str) -> None:
    assert content_type(request_format) == expected


def test_a_sample_event_for_test_requests_is_shaped_as_a_real_payload() -> None:
    sample = sample_event(3, "slack:event-type:ticket.NewReply", datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC))

    assert tuple(sample) == PAYLOAD_FIELDS
    assert (sample["type"], sample["account_id"], sample["time"]) == (
        "slack:event-type:ticket.NewReply",
        3,
        "2026-05-06T07:08:09.000Z",
    )
    assert isinstance(sample["detail"], dict)


def test_a_sample_event_of_something_that_is_not_an_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="event type"):
        sample_event(3, "conditional_ticket_events")
