"""Invocations as the delivery function and the webhooks API both make them: their ids,
a new invocation not attempted yet, and the message of its first attempt."""

from __future__ import annotations

import hashlib

from hookyard import clock
from hookyard.messages import AttemptMessage, OutboundRequest
from hookyard.models.webhooks import InvocationRecord, InvocationStatus, InvocationTrigger

# What a recovery sends again: invocations that ended without the endpoint taking them.
RECOVERABLE = frozenset({InvocationStatus.FAILED, InvocationStatus.TERMINATED})


def invocation_id(event_id: str, *parts: str) -> str:
    """Deterministic per event and destination, so a redelivered message finds its
    invocation instead of creating a second one."""
    return f"{event_id}-{hashlib.sha256(':'.join(parts).encode()).hexdigest()[:8]}"


def new_invocation(
    webhook_id: str,
    invocation: str,
    event_id: str,
    event_type: str,
    trigger: InvocationTrigger = InvocationTrigger.EVENT,
    *,
    redelivery_of: str | None = None,
    recovery_id: str | None = None,
    requested_by: str | None = None,
) -> InvocationRecord:
    """An invocation not attempted yet."""
    return InvocationRecord(
        id=invocation,
        webhook_id=webhook_id,
        event_id=event_id,
        event_type=event_type,
        status=InvocationStatus.ACCEPTED,
        created_at=clock.now(),
        trigger=trigger,
        redelivery_of=redelivery_of,
        recovery_id=recovery_id,
        requested_by=requested_by,
    )


def first_attempt(account_id: int, webhook_id: str, invocation: str, request: OutboundRequest) -> AttemptMessage:
    return AttemptMessage(
        kind="attempt", account_id=account_id, webhook_id=webhook_id, invocation_id=invocation, attempt=1,
        request=request,
    )  # fmt: skip
