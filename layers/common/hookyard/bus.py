"""Hookyard's own events on the bus (source `hookyard`), in one place.

They are events like any other: the routing rule hands them to the router, so an
outbound webhook can subscribe to `hookyard:event-type:<type>` and a user can attach an
EventBridge rule of their own (`{"source": ["hookyard"]}`). Their detail has the shape
ingest gives every event, with the facts in `body`:

  webhook.invocation.failed   {webhook_id, invocation_id, event_id, event_type, status,
                               status_code, attempts, error}   an invocation ended failed
  webhook.deactivated         {webhook_id, reason}             410 Gone, or verification failed
  webhook.circuit.opened      {webhook_id}                     the breaker opened
  webhook.circuit.closed      {webhook_id}                     a probe closed it again

Loops cannot form: the router never sends a notice about a webhook to that webhook
(`about_webhook`), and a failed delivery of a Hookyard event raises no notice of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from hookyard import aws, clock, ids

SOURCE = "hookyard"
TYPE_PREFIX = f"{SOURCE}:event-type:"
INVOCATION_FAILED = "webhook.invocation.failed"
DEACTIVATED = "webhook.deactivated"
CIRCUIT_OPENED = "webhook.circuit.opened"
CIRCUIT_CLOSED = "webhook.circuit.closed"


class BusError(Exception):
    """The bus did not take the event."""


class Bus(Protocol):
    def publish(self, account_id: int, detail_type: str, body: Mapping[str, Any], *, about_webhook: str) -> None:
        """Put one Hookyard event about `about_webhook` on the bus."""
        ...


def detail(account_id: int, detail_type: str, body: Mapping[str, Any], about_webhook: str) -> dict[str, Any]:
    """The event's detail, shaped as ingest shapes every event's."""
    return {
        "account_id": account_id,
        "event_id": ids.new_ulid(),
        "received_at": clock.iso(clock.now()),
        "source_system": SOURCE,
        "event_type": detail_type,
        "about_webhook": about_webhook,
        "subject": f"zen:webhook:{about_webhook}",
        "content_type": "application/json",
        "body": dict(body),
    }


def is_hookyard_event(event_type: str) -> bool:
    """Whether a webhook event type string names one of Hookyard's own events."""
    return event_type.startswith(TYPE_PREFIX)


class EventBridgeBus:
    def __init__(self, bus_name: str) -> None:
        self.bus_name = bus_name

    def publish(self, account_id: int, detail_type: str, body: Mapping[str, Any], *, about_webhook: str) -> None:
        entry = {
            "EventBusName": self.bus_name,
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail(account_id, detail_type, body, about_webhook), separators=(",", ":")),
        }
        out = aws.events().put_events(Entries=[entry])  # type: ignore[list-item]
        if out.get("FailedEntryCount"):
            failure = out["Entries"][0]
            raise BusError(f"{failure.get('ErrorCode')}: {failure.get('ErrorMessage')}")
