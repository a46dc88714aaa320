"""The messages on Hookyard's work queues: what the router sends, and what the consumers
send themselves for later. One schema per message, shared by producer and consumer.

FlowQueue
  {"kind": "job_spec", "account_id", "integration", "job_spec", "event": {<bus detail>}}   router
  {"kind": "continue" | "retry", "account_id", "execution_id", "not_before"}               flow runner

DeliveryQueue
  {"kind": "subscription", "account_id", "webhook_id", "event": {<bus detail>}}            router
  {"kind": "trigger", "account_id", "trigger_id", "action", "webhook_id", "event": {...}}  router
  {"kind": "attempt", "account_id", "webhook_id", "invocation_id", "attempt", "not_before",
   "request": {...}}                                                    delivery, webhooks API
  {"kind": "recover", "account_id", "webhook_id", "recovery_id", "after", "not_before"}  webhooks API,
                                                                        then delivery (page by page)

RoutingQueue
  an EventBridge event as the bus delivers it ({"id", "source", "detail-type", "detail", ...}),
  or {"kind": "route_page", "event": <that event>, "keys": [...], "after": "<sort key>"} when
  one event matches more destinations than one routing message fans out (the router).

`event` is the bus event's `detail` (README, "Ingest and the event it publishes"); it
always carries `source_system` and `event_type`, so consumers need nothing else of the
envelope.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import ConfigDict

from hookyard.models.common import Model


class _Message(Model):
    model_config = ConfigDict(extra="ignore")


# ------------------------------------------------------------------ flow queue


class JobSpecMessage(_Message):
    kind: Literal["job_spec"]
    account_id: int
    integration: str
    job_spec: str
    event: dict[str, Any]

    @property
    def execution_id(self) -> str:
        """Deterministic: a redelivered message finds the execution it started."""
        event_id = str(self.event.get("event_id") or hashlib.sha256(repr(self.event).encode()).hexdigest()[:26])
        return f"{event_id}-{hashlib.sha256(self.job_spec.encode()).hexdigest()[:8]}"


class ResumeMessage(_Message):
    kind: Literal["continue", "retry"]
    account_id: int
    execution_id: str
    not_before: float = 0


def job_spec_message(account_id: int, integration: str, job_spec: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "job_spec", "account_id": account_id, "integration": integration, "job_spec": job_spec,
            "event": event}  # fmt: skip


def parse_flow_message(body: dict[str, Any]) -> JobSpecMessage | ResumeMessage:
    if body.get("kind") == "job_spec":
        return JobSpecMessage.model_validate(body)
    return ResumeMessage.model_validate(body)


# ------------------------------------------------------------------ delivery queue


class SubscriptionMessage(_Message):
    kind: Literal["subscription"]
    account_id: int
    webhook_id: str
    event: dict[str, Any]


class TriggerMessage(_Message):
    """One action of a trigger whose conditions the router found true for `event`."""

    kind: Literal["trigger"]
    account_id: int
    trigger_id: str
    action: int
    webhook_id: str
    event: dict[str, Any]


class OutboundRequest(_Message):
    """What to send, fixed when the invocation is created (so retries send the same)."""

    method: str
    body: str  # text; empty for none
    content_type: str | None = None
    query: str = ""  # URL parameters, already encoded
    event_id: str
    event_type: str


class AttemptMessage(_Message):
    kind: Literal["attempt"]
    account_id: int
    webhook_id: str
    invocation_id: str
    attempt: int
    not_before: float = 0
    request: OutboundRequest


class RecoverMessage(_Message):
    """One page of a recovery: send again the next failed invocations after `after`."""

    kind: Literal["recover"]
    account_id: int
    webhook_id: str
    recovery_id: str
    after: str | None = None  # the invocations listing's cursor
    not_before: float = 0


DeliveryMessage = SubscriptionMessage | TriggerMessage | AttemptMessage | RecoverMessage


def subscription_message(account_id: int, webhook_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "subscription", "account_id": account_id, "webhook_id": webhook_id, "event": event}


def trigger_message(
    account_id: int, trigger_id: str, action: int, webhook_id: str, event: dict[str, Any]
) -> dict[str, Any]:
    return {"kind": "trigger", "account_id": account_id, "trigger_id": trigger_id, "action": action,
            "webhook_id": webhook_id, "event": event}  # fmt: skip


def parse_delivery_message(body: dict[str, Any]) -> DeliveryMessage:
    kind = body.get("kind")
    if kind == "subscription":
        return SubscriptionMessage.model_validate(body)
    if kind == "trigger":
        return TriggerMessage.model_validate(body)
    if kind == "recover":
        return RecoverMessage.model_validate(body)
    return AttemptMessage.model_validate(body)
