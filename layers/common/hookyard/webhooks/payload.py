"""What an outbound webhook receives for a bus event: Zendesk's webhook event schema.

    {type, account_id, id, time, zendesk_event_version, subject, detail, event}

Mapping of a `hookyard` bus event (README, "Ingest and the event it publishes")::

    type                   event_type_string(source, detail-type), e.g.
                           "slack:event-type:ticket.NewReply"; a detail-type that is
                           already a Zendesk type ("zen:event-type:ticket.created") is kept
    account_id             detail.account_id
    id                     detail.event_id        (unique per ingested request)
    time                   detail.received_at     (RFC 3339, milliseconds, Z)
    zendesk_event_version  ZENDESK_EVENT_VERSION ("2022-11-06")
    subject                "zen:inbound_webhook:<detail.webhook_uuid>" (Zendesk's
                           "zen:<resource type>:<resource id>": the resource an inbound
                           event comes from is its inbound webhook);
                           "zen:event:<event_id>" for events not from an inbound webhook;
                           detail.subject when the event names its own (Hookyard's
                           events: "zen:webhook:<webhook id>")
    detail                 detail.body when it is a JSON object, else {"body": <body>}
                           (text, array, number or null), so `detail` is always an object
    event                  {"meta": {"integration", "inbound_webhook_uuid",
                           "content_type"}} with the ones the event has

An event from a Zendesk source (ingest's `detail.zendesk.payload`) is delivered as the
payload Zendesk sent, exactly: a webhook subscribed to `zen:event-type:ticket.created`
receives what Zendesk's own webhook would have.

The body's own fields are never moved or renamed, so a trigger condition or a Liquid
placeholder written against the body (`ticket.status`) reads the same value the sender
sent. The sender's request headers are not passed on: besides the credentials ingest
strips, they carry the sender's own signatures and tokens, which are not for a third
party.

`build_payload` takes either the whole bus event or only its `detail` (what the
EventBridge rules' InputTransformer puts in the delivery message as "event"); the
detail carries source_system and event_type, so both give the same payload.

The bus's source for Zendesk's own events ("zen:event-type:...") is ZENDESK_SOURCE
("support"); `parse_event_type` maps such a type back to that source.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hookyard import clock, ids
from hookyard.models.webhooks import RequestFormat

ZENDESK_EVENT_VERSION = "2022-11-06"
ZENDESK_SOURCE = "support"
ZENDESK_TYPE_PREFIX = "zen:event-type:"
TYPE_SEPARATOR = ":event-type:"
PAYLOAD_FIELDS = ("type", "account_id", "id", "time", "zendesk_event_version", "subject", "detail", "event")

CONTENT_TYPES = {
    RequestFormat.JSON: "application/json",
    RequestFormat.XML: "application/xml",
    RequestFormat.FORM_ENCODED: "application/x-www-form-urlencoded",
}


def event_type_string(source: str, detail_type: str) -> str:
    """The webhook event type of a bus event: "<source>:event-type:<detail-type>", or the
    detail-type itself when it already is a Zendesk type ("zen:event-type:...")."""
    if detail_type.startswith(ZENDESK_TYPE_PREFIX):
        return detail_type
    return f"{source}{TYPE_SEPARATOR}{detail_type}"


def parse_event_type(event_type: str) -> tuple[str, str]:
    """The bus (source, detail-type) of a webhook event type: the inverse of
    `event_type_string`. Zendesk types map to (ZENDESK_SOURCE, the type). Raises
    ValueError naming the expected form when `event_type` is not one."""
    if event_type.startswith(ZENDESK_TYPE_PREFIX):
        if len(event_type) == len(ZENDESK_TYPE_PREFIX):
            raise ValueError(f'"{event_type}" names no event type after "{ZENDESK_TYPE_PREFIX}"')
        return ZENDESK_SOURCE, event_type
    source, separator, detail_type = event_type.partition(TYPE_SEPARATOR)
    if not (separator and source and detail_type):
        raise ValueError(f'"{event_type}" is not an event type; expected "<source>{TYPE_SEPARATOR}<event type>"')
    return source, detail_type


def build_payload(event: Mapping[str, Any]) -> dict[str, Any]:
    """The Zendesk-schema payload of a bus event (whole, or its detail alone); see the
    module docstring for the mapping. Raises ValueError if the event lacks a field the
    payload needs (account_id, event_id, received_at, source, type)."""
    if isinstance(event.get("detail"), Mapping) and "detail-type" in event:
        detail: Mapping[str, Any] = event["detail"]
        source, detail_type = event.get("source"), event.get("detail-type")
    else:
        detail = event
        source, detail_type = detail.get("source_system"), detail.get("event_type")
    if not isinstance(source, str) or not source:
        raise ValueError("the event has no source")
    if not isinstance(detail_type, str) or not detail_type:
        raise ValueError("the event has no event type")
    missing = [name for name in ("account_id", "event_id", "received_at") if detail.get(name) is None]
    if missing:
        raise ValueError(f"the event has no {', '.join(missing)}")
    zendesk = detail.get("zendesk")
    if isinstance(zendesk, Mapping) and isinstance(zendesk.get("payload"), Mapping):
        # An event from a Zendesk source: subscribers get what Zendesk sent, unchanged.
        return dict(zendesk["payload"])
    body = detail.get("body")
    webhook_uuid = detail.get("webhook_uuid")
    meta = {
        "integration": detail.get("integration"),
        "inbound_webhook_uuid": webhook_uuid,
        "content_type": detail.get("content_type"),
    }
    return {
        "type": event_type_string(source, detail_type),
        "account_id": detail["account_id"],
        "id": str(detail["event_id"]),
        "time": str(detail["received_at"]),
        "zendesk_event_version": ZENDESK_EVENT_VERSION,
        "subject": _subject(detail),
        "detail": dict(body) if isinstance(body, Mapping) else {"body": body},
        "event": {"meta": {k: v for k, v in meta.items() if v is not None}},
    }


def _subject(detail: Mapping[str, Any]) -> str:
    if isinstance(detail.get("subject"), str):
        return str(detail["subject"])  # an event that names its own (Hookyard's: zen:webhook:<id>)
    webhook_uuid = detail.get("webhook_uuid")
    return f"zen:inbound_webhook:{webhook_uuid}" if webhook_uuid else f"zen:event:{detail['event_id']}"


def sample_event(account_id: int, event_type: str, now: datetime | None = None) -> dict[str, Any]:
    """A payload of `event_type` for test requests (the webhooks API's /test), shaped as
    a real one. Raises ValueError if `event_type` is not an event type."""
    parse_event_type(event_type)
    event_id = ids.new_ulid()
    return {
        "type": event_type,
        "account_id": account_id,
        "id": event_id,
        "time": clock.iso(now or clock.now()),
        "zendesk_event_version": ZENDESK_EVENT_VERSION,
        "subject": f"zen:test:{event_id}",
        "detail": {"test": True, "description": "A test event sent by Hookyard"},
        "event": {"meta": {"test": True}},
    }


def content_type(request_format: RequestFormat | str) -> str:
    """The Content-Type of a request body in `request_format` (json, xml, form_encoded)."""
    return CONTENT_TYPES[RequestFormat(request_format)]
