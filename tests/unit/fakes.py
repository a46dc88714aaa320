"""In-memory stand-ins for Hookyard's side effects (SQS, KMS, the subscription index,
the delivery function's stores and the outbound client), for unit tests of the logic
that decides: the router and the delivery function take these as their interfaces."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hookyard.errors import NotFound
from hookyard.messages import OutboundRequest
from hookyard.models.triggers import TriggerRecord
from hookyard.models.webhooks import (
    AttemptRecord,
    InvocationRecord,
    InvocationStatus,
    RecoveryRecord,
    WebhookRecord,
    WebhookStatus,
)
from hookyard.outbound import OutboundError, OutboundResponse
from hookyard.queues import QueueError
from hookyard.routing import Route
from hookyard.webhooks.breaker import Permit


class MemoryQueue:
    """Records what is sent: `sent` holds (body, delay) pairs in order."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[dict[str, Any], float]] = []
        self.batches: list[int] = []
        self.fail = fail

    def send(self, body: Mapping[str, Any], delay: float = 0) -> None:
        self._check()
        self.sent.append((json.loads(json.dumps(body)), delay))

    def send_later(self, body: Mapping[str, Any], delay: float) -> None:
        self.send({**body, "not_before": 0}, delay)

    def send_batch(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        self._check()
        self.batches.append(len(bodies))
        self.sent += [(json.loads(json.dumps(b)), 0.0) for b in bodies]

    def send_batch_later(self, items: Sequence[tuple[Mapping[str, Any], float]]) -> None:
        self._check()
        self.batches.append(len(items))
        self.sent += [(json.loads(json.dumps({**b, "not_before": 0})), d) for b, d in items]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [body for body, _ in self.sent]

    def _check(self) -> None:
        if self.fail:
            raise QueueError("SQS did not take 1 message(s)")


class MemorySealer:
    """'Seals' by tagging the plaintext with its context; opens only under the same one."""

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        return json.dumps([sorted(context.items()), plaintext])

    def unseal(self, sealed: str, context: dict[str, str]) -> str:
        bound, plaintext = json.loads(sealed)
        if [tuple(p) for p in bound] != sorted(context.items()):
            raise ValueError("InvalidCiphertextException")
        return str(plaintext)


class MemoryRouteIndex:
    """Route items by partition, read in sort-key order a page at a time."""

    def __init__(self, routes: Sequence[Route] = ()) -> None:
        self.partitions: dict[str, dict[str, Route]] = {}
        self.reads: list[tuple[str, str | None, int]] = []
        for route in routes:
            self.add(route)

    def add(self, route: Route) -> None:
        self.partitions.setdefault(route.pk, {})[route.sk] = route

    def page(self, pk: str, after: str | None, limit: int) -> tuple[list[Route], str | None]:
        self.reads.append((pk, after, limit))
        keys = sorted(k for k in self.partitions.get(pk, {}) if after is None or k > after)
        chosen = keys[:limit]
        more = len(keys) > limit
        return [self.partitions[pk][k] for k in chosen], (chosen[-1] if more else None)


class MemoryWebhooks:
    def __init__(self, *records: WebhookRecord) -> None:
        self.records = {(r.account_id, r.id): r for r in records}
        self.deactivated: list[tuple[str, str]] = []

    def get(self, account_id: int, webhook_id: str) -> WebhookRecord:
        try:
            return self.records[(account_id, webhook_id)]
        except KeyError:
            raise NotFound() from None

    def get_many(self, keys: Any) -> dict[tuple[int, str], WebhookRecord]:
        self.batch_reads = getattr(self, "batch_reads", 0) + 1
        return {k: self.records[k] for k in keys if k in self.records}

    def deactivate(self, account_id: int, webhook_id: str, reason: str) -> WebhookRecord | None:
        record = self.records.get((account_id, webhook_id))
        if record is None:
            return None
        self.deactivated.append((webhook_id, reason))
        updated = record.model_copy(update={"status": WebhookStatus.INACTIVE, "status_reason": reason})
        self.records[(account_id, webhook_id)] = updated
        return updated


class MemoryTriggers:
    def __init__(self, *records: TriggerRecord) -> None:
        self.records = {(r.account_id, r.id): r for r in records}

    def get(self, account_id: int, trigger_id: str) -> TriggerRecord:
        try:
            return self.records[(account_id, trigger_id)]
        except KeyError:
            raise NotFound() from None


@dataclass
class MemoryInvocations:
    """Invocations and attempts as the DynamoDB repository keeps them: an attempt number
    is written once, a final status never changes, the request is kept per invocation."""

    invocations: dict[str, InvocationRecord] = field(default_factory=dict)
    attempts: dict[str, list[AttemptRecord]] = field(default_factory=dict)
    requests: dict[str, OutboundRequest] = field(default_factory=dict)

    def create_invocation(
        self, account_id: int, record: InvocationRecord, request: OutboundRequest | None = None
    ) -> InvocationRecord | None:
        if record.id in self.invocations:
            return self.invocations[record.id]
        self.invocations[record.id] = record
        if request is not None:
            self.requests[record.id] = request
        return None

    def get_invocation(self, account_id: int, webhook_id: str, invocation_id: str) -> InvocationRecord:
        try:
            return self.invocations[invocation_id]
        except KeyError:
            raise NotFound() from None

    def stored_request(self, account_id: int, webhook_id: str, invocation_id: str) -> OutboundRequest | None:
        return self.requests.get(invocation_id)

    def list_invocations(
        self,
        account_id: int,
        webhook_id: str,
        *,
        limit: int,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        status: Any = None,
    ) -> tuple[list[InvocationRecord], bool]:
        """Newest first by creation (ids sort by it here), `after` an id."""
        found = sorted(
            (r for r in self.invocations.values() if r.webhook_id == webhook_id),
            key=lambda r: (r.created_at, r.id),
            reverse=True,
        )
        if status is not None:
            found = [r for r in found if r.status in status]
        if since is not None:
            found = [r for r in found if r.created_at >= since]
        if until is not None:
            found = [r for r in found if r.created_at <= until]
        if after is not None:
            ids = [r.id for r in found]
            found = found[ids.index(after) + 1 :]
        return found[:limit], len(found) > limit

    def cursor(self, record: InvocationRecord) -> str:
        return record.id

    def record_attempt(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        attempt: AttemptRecord,
        status: InvocationStatus | None = None,
        *,
        new: tuple[InvocationRecord, OutboundRequest] | None = None,
    ) -> bool:
        if new is not None:
            self.create_invocation(account_id, *new)
        made = self.attempts.setdefault(invocation_id, [])
        created = all(a.number != attempt.number for a in made)
        if created:
            made.append(attempt)
        current = self.invocations[invocation_id]
        changes: dict[str, Any] = {"attempts": max(current.attempts, attempt.number)}
        if attempt.number > current.attempts:
            changes["status_code"] = attempt.status_code
        if status is not None and not current.final:
            changes["status"] = status
        self.invocations[invocation_id] = current.model_copy(update=changes)
        return created

    def set_status(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        status: InvocationStatus,
        completed_at: datetime | None = None,
    ) -> InvocationRecord:
        current = self.invocations[invocation_id]
        if not current.final:
            current = current.model_copy(update={"status": status})
            self.invocations[invocation_id] = current
        return current


class MemoryRecoveries:
    def __init__(self, *records: RecoveryRecord) -> None:
        self.records = {r.id: r for r in records}

    def get(self, account_id: int, webhook_id: str, recovery_id: str) -> RecoveryRecord:
        try:
            return self.records[recovery_id]
        except KeyError:
            raise NotFound() from None

    def progress(self, account_id: int, webhook_id: str, recovery_id: str, sent: int, done: bool) -> None:
        record = self.records[recovery_id]
        self.records[recovery_id] = record.model_copy(
            update={"sent": record.sent + sent, "status": "done" if done else record.status}
        )


class MemoryBus:
    """Records Hookyard's events: (account id, detail type, body, about webhook)."""

    def __init__(self) -> None:
        self.published: list[tuple[int, str, dict[str, Any], str]] = []

    def publish(self, account_id: int, detail_type: str, body: Mapping[str, Any], *, about_webhook: str) -> None:
        self.published.append((account_id, detail_type, dict(body), about_webhook))

    @property
    def types(self) -> list[str]:
        return [t for _, t, _, _ in self.published]


class OpenThrottle:
    """Admits everything, or holds back all after `cap` admissions."""

    def __init__(self, cap: int | None = None, wait: float = 30.0) -> None:
        self.cap, self.wait, self.admitted, self.calls = cap, wait, 0, 0

    def admit_many(self, account_id: int, count: int) -> tuple[int, float]:
        self.calls += 1
        room = count if self.cap is None else max(0, min(count, self.cap - self.admitted))
        self.admitted += room
        return room, self.wait


class ClosedBreakers:
    """A breaker that lets everything through (or holds everything back when `open`)."""

    def __init__(self, open: bool = False) -> None:
        self.open = open
        self.results: list[bool] = []

    def acquire(self, account_id: int, webhook_id: str) -> Permit:
        self.acquired = getattr(self, "acquired", 0) + 1
        return Permit(allowed=False, retry_in=5.0) if self.open else Permit(allowed=True)

    def record(self, account_id: int, webhook_id: str, success: bool, *, probe: bool = False) -> bool:
        self.results.append(success)
        return False

    def record_many(self, account_id: int, webhook_id: str, *, successes: int, failures: int) -> bool:
        self.results += [False] * failures + [True] * successes
        return False


Reply = OutboundResponse | OutboundError | Callable[[dict[str, Any]], OutboundResponse]


class ScriptedHttp:
    """Answers requests from a list of replies (the last repeats); records each request."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [response(200)]
        self.requests: list[dict[str, Any]] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> OutboundResponse:
        sent = {"method": method, "url": url, "headers": dict(headers or {}), "body": body}
        self.requests.append(copy.deepcopy(sent))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, OutboundError):
            raise reply
        if callable(reply):
            return reply(sent)
        return reply


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> OutboundResponse:
    return OutboundResponse(status=status, headers=headers or {}, body=body, truncated=False, elapsed_ms=3)
