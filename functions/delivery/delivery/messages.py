"""Messages on the delivery queue.

From a subscribed webhook's rule:  {"kind": "subscription", "account_id", "webhook_id", "event": {<detail>}}
From a trigger's rule:             {"kind": "trigger", "account_id", "trigger_id", "event": {<detail>}}
Sent by the delivery function:     {"kind": "attempt", "account_id", "webhook_id", "invocation_id",
                                    "attempt": n, "not_before": <epoch s>, "request": {...}}
  for a retry, a delayed (throttled or circuit-broken) attempt, or one webhook of a trigger.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SubscriptionMessage(_Message):
    kind: Literal["subscription"]
    account_id: int
    webhook_id: str
    event: dict[str, Any]


class TriggerMessage(_Message):
    kind: Literal["trigger"]
    account_id: int
    trigger_id: str
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


Message = SubscriptionMessage | TriggerMessage | AttemptMessage


def parse(body: dict[str, Any]) -> Message:
    kind = body.get("kind")
    if kind == "subscription":
        return SubscriptionMessage.model_validate(body)
    if kind == "trigger":
        return TriggerMessage.model_validate(body)
    return AttemptMessage.model_validate(body)
