"""Delivery rules: turn routed events into invocations, and make attempts, a batch at a time.

The router sends one message per (event, webhook): an event-subscribed webhook's
(`subscription`), or one action of a trigger whose conditions held (`trigger`). Each
becomes an invocation with a deterministic id, so a message delivered twice finds the
invocation it made instead of making a second.

A batch (Delivery.run) goes in stages, so what can be shared is paid once per batch, not
once per message:

1. prepare, concurrently: each message becomes an attempt to make (its webhook read for
   the whole batch in one BatchGetItem), or an outcome at once (a dropped message, a
   trigger whose body cannot be rendered, a retry whose attempt was made already, a page
   of a recovery);
2. admit: the account's throttle counts the batch's first attempts in one write (the cap
   counts invocations, not retries; the rest are held, `throttled`), and each webhook's
   circuit breaker is asked once (while open its attempts are held, `circuit broken`;
   half-open, one of them is the probe);
3. send, concurrently, each signed and authenticated, through the guarded client;
4. feed each webhook's breaker its results in one write;
5. schedule every retry and every held attempt in one SendMessageBatch (delayed
   messages; SQS delays up to 15 min and longer waits hop) — before recording, so a crash
   in between repeats an attempt (at least once) instead of losing the next one;
6. record, concurrently: a first attempt that was made writes its invocation once, with
   the attempt in it; a later attempt updates it; a held one records its status.
   410 Gone deactivates the webhook. Hookyard's own events (hookyard.bus) announce final
   failures, deactivations and the breaker opening and closing.

Every outcome is recorded before the message is acknowledged; what cannot be recorded is
left to SQS (and so to the DLQ). A message for an invocation that is final, or whose
attempt was made, does nothing; a final status never changes. Every attempt keeps what
was sent (headers with authentication and custom header values redacted; the payload
once per invocation) and what came back (headers, and the payload up to
RESPONSE_PAYLOAD_BYTES). A recovery is sent again page by page from here: each `recover`
message sends up to RECOVERY_PAGE invocations and schedules the next page
RECOVERY_INTERVAL_SECONDS later.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from delivery.log import logger
from hookyard import bus, clock, queues
from hookyard.errors import NotFound
from hookyard.messages import (
    AttemptMessage,
    DeliveryMessage,
    OutboundRequest,
    RecoverMessage,
    SubscriptionMessage,
    TriggerMessage,
)
from hookyard.models.triggers import TriggerRecord
from hookyard.models.webhooks import (
    AttemptRecord,
    InvocationRecord,
    InvocationStatus,
    InvocationTrigger,
    RecordedRequest,
    RecordedResponse,
    RecoveryRecord,
    WebhookRecord,
)
from hookyard.outbound import OutboundError, OutboundResponse, OutboundTimeout
from hookyard.webhooks import breaker, payload, retry, signing, triggers
from hookyard.webhooks.invocations import RECOVERABLE, first_attempt, invocation_id, new_invocation
from hookyard.webhooks.secrets import WebhookSecrets

REQUEST_TIMEOUT_SECONDS = 12.0
RESPONSE_PAYLOAD_BYTES = 16 * 1024
REDACTED = "[redacted]"
RECOVERY_PAGE = 20
RECOVERY_INTERVAL_SECONDS = 2.0
MAX_WORKERS = 10  # a batch is at most 10 messages


class Webhooks(Protocol):
    def get_many(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], WebhookRecord]: ...

    def deactivate(self, account_id: int, webhook_id: str, reason: str) -> WebhookRecord | None: ...


class Triggers(Protocol):
    def get(self, account_id: int, trigger_id: str) -> TriggerRecord: ...


class Invocations(Protocol):
    def create_invocation(
        self, account_id: int, record: InvocationRecord, request: OutboundRequest | None = None
    ) -> InvocationRecord | None: ...

    def get_invocation(self, account_id: int, webhook_id: str, invocation_id: str) -> InvocationRecord: ...

    def stored_request(self, account_id: int, webhook_id: str, invocation_id: str) -> OutboundRequest | None: ...

    def list_invocations(
        self,
        account_id: int,
        webhook_id: str,
        *,
        limit: int,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        status: frozenset[InvocationStatus] | None = None,
    ) -> tuple[list[InvocationRecord], bool]: ...

    def cursor(self, record: InvocationRecord) -> str: ...

    def record_attempt(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        attempt: AttemptRecord,
        status: InvocationStatus | None = None,
        *,
        new: tuple[InvocationRecord, OutboundRequest] | None = None,
    ) -> bool: ...

    def set_status(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        status: InvocationStatus,
        completed_at: datetime | None = None,
    ) -> InvocationRecord: ...


class Http(Protocol):
    """The guarded outbound client (hookyard.outbound.OutboundClient)."""

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> OutboundResponse: ...


class Throttle(Protocol):
    def admit_many(self, account_id: int, count: int) -> tuple[int, float]: ...


class Recoveries(Protocol):
    def get(self, account_id: int, webhook_id: str, recovery_id: str) -> RecoveryRecord: ...

    def progress(self, account_id: int, webhook_id: str, recovery_id: str, sent: int, done: bool) -> None: ...


class Breakers(Protocol):
    def acquire(self, account_id: int, webhook_id: str) -> breaker.Permit: ...

    def record_many(self, account_id: int, webhook_id: str, *, successes: int, failures: int) -> bool: ...

    def record(self, account_id: int, webhook_id: str, success: bool, *, probe: bool = False) -> bool: ...


@dataclass(frozen=True)
class Result:
    """What happened to one message, for metrics."""

    status: str | None  # the invocation's status after this message; None if nothing happened
    attempted: bool = False
    failed: bool = False
    breaker_opened: bool = False


@dataclass
class Sent:
    """One request made and what came of it."""

    headers: dict[str, str]
    status_code: int | None
    response: OutboundResponse | None
    error: str | None
    duration_ms: int
    decision: retry.Decision
    outcome: retry.Outcome


@dataclass
class Job:
    """One attempt to make in this batch, and what became of it."""

    key: str
    message: AttemptMessage
    webhook: WebhookRecord
    new: InvocationRecord | None = None  # the invocation to record with it (none recorded yet)
    hold: tuple[InvocationStatus, float] | None = None  # held back: shown status, seconds to wait
    probe: bool = False
    sent: Sent | None = None
    breaker_opened: bool = False
    error: Exception | None = None


Item = tuple[str, DeliveryMessage, int]  # (SQS message id, message, receive count)


@dataclass
class Delivery:
    webhooks: Webhooks
    triggers: Triggers
    invocations: Invocations
    throttle: Throttle
    breakers: Breakers
    secrets: WebhookSecrets
    client: Http
    queue: queues.Queue
    bus: bus.Bus
    recoveries: Recoveries
    # Webhooks and triggers as read for this batch (None: gone or inactive).
    _webhooks: dict[tuple[int, str], WebhookRecord | None] = field(default_factory=dict)
    _triggers: dict[tuple[int, str], TriggerRecord | None] = field(default_factory=dict)

    # ------------------------------------------------------------ a batch
    def run(self, items: Sequence[Item]) -> dict[str, Result | Exception]:
        """Handle a batch; for each message id, its Result, or the exception that leaves
        it to SQS."""
        self._prefetch(items)
        prepared = _each(items, lambda item: self._prepare(*item))
        outcomes: dict[str, Result | Exception] = {}
        jobs: list[Job] = []
        seen: set[tuple[str, int]] = set()
        for (key, _, _), done in zip(items, prepared, strict=True):
            if isinstance(done, Job) and (done.message.invocation_id, done.message.attempt) in seen:
                outcomes[key] = Result(None)  # the same attempt twice in one batch: made once
            elif isinstance(done, Job):
                seen.add((done.message.invocation_id, done.message.attempt))
                jobs.append(done)
            else:
                outcomes[key] = done
        if jobs:
            self._admit(jobs)
            _each([j for j in jobs if j.hold is None and j.error is None], self._send)
            self._feed_breakers(jobs)
            self._schedule(jobs)
            recording = [j for j in jobs if j.error is None]
            for job, result in zip(recording, _each(recording, self._record), strict=True):
                outcomes[job.key] = result
            for job in jobs:
                if job.error is not None:
                    outcomes[job.key] = job.error
        return outcomes

    def handle(self, message: DeliveryMessage, receive_count: int = 1) -> Result:
        """One message as a batch of one (raises what would leave it to SQS)."""
        outcome = self.run([("message", message, receive_count)])["message"]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    # ------------------------------------------------------------ 1. prepare
    def _prepare(self, key: str, message: DeliveryMessage, receive_count: int) -> Job | Result:
        if isinstance(message, SubscriptionMessage):
            return self._subscription(key, message, receive_count)
        if isinstance(message, TriggerMessage):
            return self._trigger(key, message, receive_count)
        if isinstance(message, RecoverMessage):
            return self.recover(message)
        return self._retry(key, message)

    def _subscription(self, key: str, message: SubscriptionMessage, receive_count: int) -> Job | Result:
        webhook = self._active_webhook(message.account_id, message.webhook_id)
        if webhook is None:
            return Result(None)
        body = payload.build_payload(message.event)
        request = OutboundRequest(
            method="POST",
            body=json.dumps(body, separators=(",", ":")),
            content_type="application/json",
            event_id=str(body["id"]),
            event_type=str(body["type"]),
        )
        return self._first(key, message.account_id, webhook, invocation_id(request.event_id, webhook.id), request,
                           receive_count)  # fmt: skip

    def _trigger(self, key: str, message: TriggerMessage, receive_count: int) -> Job | Result:
        trigger = self._active_trigger(message.account_id, message.trigger_id)
        actions = trigger.webhook_actions() if trigger else []
        if (
            trigger is None
            or message.action >= len(actions)
            or actions[message.action].webhook_id != message.webhook_id
        ):
            return Result(None)  # changed since the router matched it
        webhook = self._active_webhook(message.account_id, message.webhook_id)
        if webhook is None:
            return Result(None)
        body = payload.build_payload(message.event)
        event_id, event_type = str(body["id"]), str(body["type"])
        invocation = invocation_id(event_id, webhook.id, trigger.id)
        try:
            rendered = triggers.render_request(
                actions[message.action].body, body, webhook.request_format, webhook.http_method
            )
        except triggers.RenderError as exc:
            # This event cannot fill the template: the invocation fails, visibly.
            record = new_invocation(webhook.id, invocation, event_id, event_type)
            if self.invocations.create_invocation(message.account_id, record) is not None:
                return Result(None)  # recorded before
            failure = AttemptRecord(
                number=1, status=InvocationStatus.FAILED, completed_at=clock.now(), duration_ms=0, error=exc.detail
            )
            self.invocations.record_attempt(
                message.account_id, webhook.id, invocation, failure, status=InvocationStatus.FAILED
            )
            return Result(InvocationStatus.FAILED)
        request = OutboundRequest(
            method=webhook.http_method,
            body=rendered.body or "",
            content_type=rendered.content_type,
            query=rendered.query,
            event_id=event_id,
            event_type=event_type,
        )
        return self._first(key, message.account_id, webhook, invocation, request, receive_count)

    def _first(
        self,
        key: str,
        account_id: int,
        webhook: WebhookRecord,
        invocation: str,
        request: OutboundRequest,
        receive_count: int,
    ) -> Job | Result:
        if receive_count > 1:
            # Handed over again: it may have been sent (and recorded) before.
            try:
                existing: InvocationRecord | None = self.invocations.get_invocation(account_id, webhook.id, invocation)
            except NotFound:
                existing = None
            if existing is not None and not _unattempted(existing):
                return Result(None)
        record = new_invocation(webhook.id, invocation, request.event_id, request.event_type)
        return Job(key, first_attempt(account_id, webhook.id, invocation, request), webhook, new=record)

    def _retry(self, key: str, message: AttemptMessage) -> Job | Result:
        """A scheduled attempt (a retry, or one held back by the throttle or the breaker)."""
        if (wait := queues.due_in(message.model_dump())) > 0:
            self.queue.send_later(message.model_dump(), wait)  # a wait longer than SQS's 15 min hops
            return Result(None)
        try:
            invocation = self.invocations.get_invocation(message.account_id, message.webhook_id, message.invocation_id)
        except NotFound:
            return Result(None)  # expired
        if invocation.final or invocation.attempts >= message.attempt:
            return Result(None)  # a redelivered message: this attempt was made
        webhook = self._active_webhook(message.account_id, message.webhook_id)
        if webhook is None:
            self.invocations.set_status(
                message.account_id,
                message.webhook_id,
                message.invocation_id,
                InvocationStatus.TERMINATED,
                completed_at=clock.now(),
            )
            return Result(InvocationStatus.TERMINATED)
        return Job(key, message, webhook)

    # ------------------------------------------------------------ 2. admit
    def _admit(self, jobs: list[Job]) -> None:
        firsts: dict[int, list[Job]] = defaultdict(list)
        for job in jobs:
            if job.message.attempt == 1:
                firsts[job.message.account_id].append(job)
        for account_id, waiting in firsts.items():
            try:
                admitted, wait = self.throttle.admit_many(account_id, len(waiting))
            except Exception as exc:  # the throttle could not count: leave these to SQS
                for job in waiting:
                    job.error = exc
                continue
            for job in waiting[admitted:]:
                job.hold = (InvocationStatus.THROTTLED, wait)
        by_webhook: dict[tuple[int, str], list[Job]] = defaultdict(list)
        for job in jobs:
            if job.hold is None and job.error is None:
                by_webhook[(job.message.account_id, job.webhook.id)].append(job)
        for (account_id, webhook_id), going in by_webhook.items():
            try:
                permit = self.breakers.acquire(account_id, webhook_id)
            except Exception as exc:
                for job in going:
                    job.error = exc
                continue
            held = going if not permit.allowed else going[1:] if permit.probe else []
            for job in held:
                job.hold = (InvocationStatus.CIRCUIT_BROKEN, max(1.0, permit.retry_in))
            if permit.allowed and permit.probe:
                going[0].probe = True

    # ------------------------------------------------------------ 3. send
    def _send(self, job: Job) -> None:
        message, webhook, request = job.message, job.webhook, job.message.request
        body = request.body.encode()
        now = datetime.now(UTC)
        headers = {
            "User-Agent": "Zendesk Webhook",
            "x-zendesk-account-id": str(message.account_id),
            "x-zendesk-webhook-id": webhook.id,
            "x-zendesk-webhook-invocation-id": message.invocation_id,
            **signing.signature_headers(
                self.secrets.signing_secret(webhook), webhook.id, message.invocation_id, body, now
            ),
            **webhook.custom_headers,
            **self.secrets.auth_headers(webhook),
        }
        if request.content_type and body:
            headers["Content-Type"] = request.content_type
        url = triggers.url_with_query(webhook.endpoint, request.query) if request.query else webhook.endpoint
        started = time.monotonic()
        response: OutboundResponse | None = None
        error: str | None = None
        timed_out = connection_failed = False
        try:
            response = self.client.request(
                request.method, url, headers=headers, body=body or None, timeout=REQUEST_TIMEOUT_SECONDS
            )
        except OutboundTimeout as exc:
            timed_out, error = True, str(exc)
        except OutboundError as exc:
            connection_failed, error = True, str(exc)
        duration_ms = int((time.monotonic() - started) * 1000)
        outcome = retry.Outcome(
            status=response.status if response else None,
            timeout=timed_out,
            connection_error=connection_failed,
            retry_after=response.headers.get("retry-after") if response else None,
        )
        decision = retry.decide(webhook.retry_policy, message.attempt, outcome, now=datetime.now(UTC))
        job.sent = Sent(
            headers=_redacted(headers, webhook, self.secrets),
            status_code=response.status if response else None,
            response=response,
            error=error,
            duration_ms=duration_ms,
            decision=decision,
            outcome=outcome,
        )

    # ------------------------------------------------------------ 4. the breakers
    def _feed_breakers(self, jobs: list[Job]) -> None:
        counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        for job in jobs:
            if job.sent is None:
                continue
            succeeded = isinstance(job.sent.decision, retry.Success)
            key = (job.message.account_id, job.webhook.id)
            try:
                if job.probe:
                    job.breaker_opened = self.breakers.record(*key, succeeded, probe=True)
                    if succeeded:
                        self._announce(key[0], bus.CIRCUIT_CLOSED, key[1], {})
                else:
                    counts[key][0 if succeeded else 1] += 1
            except Exception:  # a breaker is statistical: one lost count changes nothing that matters
                logger.exception("breaker not fed", webhook_id=key[1])
        for key, (successes, failures) in counts.items():
            try:
                opened = self.breakers.record_many(*key, successes=successes, failures=failures)
            except Exception:
                logger.exception("breaker not fed", webhook_id=key[1])
                continue
            if opened:
                for job in jobs:
                    if job.sent and not job.probe and (job.message.account_id, job.webhook.id) == key:
                        job.breaker_opened = True
                        break
        for job in jobs:
            if job.breaker_opened:
                self._announce(job.message.account_id, bus.CIRCUIT_OPENED, job.webhook.id, {})

    # ------------------------------------------------------------ 5. schedule
    def _schedule(self, jobs: list[Job]) -> None:
        later: list[tuple[Job, dict[str, Any], float]] = []
        for job in jobs:
            if job.error is not None:
                continue
            if job.hold is not None:
                later.append((job, job.message.model_dump(exclude={"not_before"}), job.hold[1]))
            elif job.sent is not None and isinstance(job.sent.decision, retry.Retry):
                following = job.message.model_copy(update={"attempt": job.message.attempt + 1})
                later.append((job, following.model_dump(exclude={"not_before"}), job.sent.decision.delay_seconds))
        if not later:
            return
        try:
            self.queue.send_batch_later([(body, delay) for _, body, delay in later])
        except queues.QueueError as exc:
            for job, _, _ in later:
                job.error = exc  # not recorded, so SQS hands the message over again

    # ------------------------------------------------------------ 6. record
    def _record(self, job: Job) -> Result:
        message = job.message
        if job.hold is not None:
            status = job.hold[0]
            if job.new is not None:
                held = job.new.model_copy(update={"status": status})
                self.invocations.create_invocation(message.account_id, held, message.request)
            else:
                self.invocations.set_status(message.account_id, job.webhook.id, message.invocation_id, status)
            return Result(status)
        sent = job.sent
        assert sent is not None
        decision = sent.decision
        response = sent.response
        recorded_response = None
        if response is not None:
            text = response.text()
            recorded_response = RecordedResponse(
                headers=response.headers,
                payload=_first_bytes(text, RESPONSE_PAYLOAD_BYTES) or None,
                truncated=response.truncated or len(response.body) > RESPONSE_PAYLOAD_BYTES,
            )
        attempt = AttemptRecord(
            number=message.attempt,
            status=decision.status,
            status_code=sent.status_code,
            completed_at=clock.now(),
            duration_ms=sent.duration_ms,
            error=sent.error,
            request=RecordedRequest(headers=sent.headers, payload=None),
            response=recorded_response,
        )
        self.invocations.record_attempt(
            message.account_id,
            job.webhook.id,
            message.invocation_id,
            attempt,
            status=decision.invocation_status,
            new=(job.new, message.request) if job.new is not None else None,
        )
        if isinstance(decision, retry.Final):
            self._announce_failure(message, decision, sent.status_code, sent.error)
            if decision.deactivate:
                reason = "the endpoint answered 410 Gone"
                self.webhooks.deactivate(message.account_id, job.webhook.id, reason)
                self._webhooks[(message.account_id, job.webhook.id)] = None
                logger.warning("webhook deactivated: 410 Gone", webhook_id=job.webhook.id)
                self._announce(message.account_id, bus.DEACTIVATED, job.webhook.id, {"reason": reason})
        succeeded = isinstance(decision, retry.Success)
        logger.info(
            "delivery attempt",
            account_id=message.account_id,
            webhook_id=job.webhook.id,
            invocation_id=message.invocation_id,
            attempt=message.attempt,
            status=decision.status.value,
            invocation_status=decision.invocation_status.value,
            status_code=sent.status_code,
            duration_ms=sent.duration_ms,
        )
        return Result(
            decision.invocation_status, attempted=True, failed=not succeeded, breaker_opened=job.breaker_opened
        )

    # ------------------------------------------------------------ recovery
    def recover(self, message: RecoverMessage) -> Result:
        """One page of a recovery: the next failed invocations sent again as new ones."""
        if (wait := queues.due_in(message.model_dump())) > 0:
            self.queue.send_later(message.model_dump(), wait)
            return Result(None)
        try:
            recovery = self.recoveries.get(message.account_id, message.webhook_id, message.recovery_id)
        except NotFound:
            return Result(None)  # expired
        if recovery.status == "done":
            return Result(None)
        webhook = self._active_webhook(message.account_id, message.webhook_id)
        page: list[InvocationRecord] = []
        more = False
        if webhook is not None:  # else the recovery stops: nothing can be sent now
            page, more = self.invocations.list_invocations(
                message.account_id,
                message.webhook_id,
                limit=RECOVERY_PAGE,
                after=message.after,
                since=recovery.since,
                until=recovery.until,
                status=RECOVERABLE,
            )
        attempts = [a.model_dump() for original in page if (a := self._resend(recovery, original)) is not None]
        if attempts:
            self.queue.send_batch(attempts)
        if more:
            following = message.model_copy(update={"after": self.invocations.cursor(page[-1])})
            self.queue.send_later(following.model_dump(exclude={"not_before"}), RECOVERY_INTERVAL_SECONDS)
        self.recoveries.progress(message.account_id, message.webhook_id, recovery.id, len(attempts), done=not more)
        logger.info(
            "recovery page sent", webhook_id=message.webhook_id, recovery_id=recovery.id, sent=len(attempts), more=more
        )
        return Result(None)

    def _resend(self, recovery: RecoveryRecord, original: InvocationRecord) -> AttemptMessage | None:
        """The first attempt of the new invocation sending `original` again (None: sent
        before, by this recovery, or nothing kept to send)."""
        request = self.invocations.stored_request(recovery.account_id, recovery.webhook_id, original.id)
        if request is None:
            return None
        # One per event per recovery: an event whose redelivery failed too is sent once. The
        # id begins with the recovery's (a ULID): recovered invocations list as made now.
        invocation = invocation_id(recovery.id, original.event_id, recovery.webhook_id)
        record = new_invocation(
            recovery.webhook_id,
            invocation,
            original.event_id,
            original.event_type,
            trigger=InvocationTrigger.RECOVERY,
            redelivery_of=original.id,
            recovery_id=recovery.id,
            requested_by=recovery.requested_by,
        )
        existing = self.invocations.create_invocation(recovery.account_id, record, request)
        # Made before from another invocation of the event (its redelivery, say): sent once.
        # Made before from this one: this page is handled again; send if never attempted.
        if existing is not None and (existing.redelivery_of != original.id or not _unattempted(existing)):
            return None
        return first_attempt(recovery.account_id, recovery.webhook_id, invocation, request)

    # ------------------------------------------------------------ notices
    def _announce_failure(
        self, message: AttemptMessage, decision: retry.Final, status_code: int | None, error: str | None
    ) -> None:
        if bus.is_hookyard_event(message.request.event_type):
            return  # a notice that could not be delivered announces nothing (no loops)
        body = {
            "webhook_id": message.webhook_id,
            "invocation_id": message.invocation_id,
            "event_id": message.request.event_id,
            "event_type": message.request.event_type,
            "status": InvocationStatus.FAILED.value,
            "status_code": status_code,
            "attempts": message.attempt,
            "error": error or (f"the endpoint answered {status_code}" if status_code else decision.status.value),
        }
        self._announce(message.account_id, bus.INVOCATION_FAILED, message.webhook_id, body)

    def _announce(self, account_id: int, detail_type: str, webhook_id: str, body: Mapping[str, object]) -> None:
        """Publish a Hookyard event; the outcome it reports is recorded already, so a bus
        that refuses it costs the notice, not the delivery."""
        try:
            self.bus.publish(account_id, detail_type, {"webhook_id": webhook_id, **body}, about_webhook=webhook_id)
        except Exception:
            logger.exception("hookyard event not published", event_type=detail_type, webhook_id=webhook_id)

    # ------------------------------------------------------------ helpers
    def _prefetch(self, items: Sequence[Item]) -> None:
        """Read every webhook the batch names, in one request (strongly consistent)."""
        wanted = {
            (m.account_id, m.webhook_id) for _, m, _ in items if (m.account_id, m.webhook_id) not in self._webhooks
        }
        if not wanted:
            return
        found = self.webhooks.get_many(wanted)
        for key in wanted:
            webhook = found.get(key)
            if webhook is None:
                logger.info("webhook gone; delivery dropped", webhook_id=key[1])
            elif not webhook.active:
                logger.info("webhook inactive; delivery dropped", webhook_id=key[1])
            self._webhooks[key] = webhook if webhook is not None and webhook.active else None

    def _active_webhook(self, account_id: int, webhook_id: str) -> WebhookRecord | None:
        """The webhook if it is active (read for the batch), else None."""
        key = (account_id, webhook_id)
        if key not in self._webhooks:
            found = self.webhooks.get_many([key]).get(key)
            self._webhooks[key] = found if found is not None and found.active else None
        return self._webhooks[key]

    def _active_trigger(self, account_id: int, trigger_id: str) -> TriggerRecord | None:
        key = (account_id, trigger_id)
        if key not in self._triggers:
            try:
                found: TriggerRecord | None = self.triggers.get(account_id, trigger_id)
            except NotFound:
                found = None
            self._triggers[key] = found if found is not None and found.active else None
        return self._triggers[key]


def _each[T](items: Sequence[T], work: Callable[[T], Any]) -> list[Any]:
    """`work` on every item concurrently; each answer, or the exception it raised."""

    def guarded(item: T) -> Any:
        try:
            return work(item)
        except Exception as exc:
            if isinstance(item, Job):
                item.error = exc
            logger.exception("delivery record failed")
            return exc

    if len(items) <= 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items))) as pool:
        return list(pool.map(guarded, items))


def _unattempted(existing: InvocationRecord) -> bool:
    return not existing.final and not existing.attempts and existing.status == InvocationStatus.ACCEPTED


def _redacted(headers: Mapping[str, str], webhook: WebhookRecord, secrets: WebhookSecrets) -> dict[str, str]:
    """The headers as sent, with the values of authentication and custom headers replaced
    (the signature, which proves nothing to anyone without the secret, is kept)."""
    secret = {name.lower() for name in webhook.custom_headers}
    if webhook.authentication is not None:
        secret |= {name.lower() for name in secrets.auth_headers(webhook)}
    return {name: (REDACTED if name.lower() in secret else value) for name, value in headers.items()}


def _first_bytes(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, cut on a character boundary."""
    raw = text.encode()
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", errors="ignore")


__all__ = ["Delivery", "Result"]
