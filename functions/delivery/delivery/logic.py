"""Delivery rules: turn routed events into invocations, and make attempts.

The router sends one message per (event, webhook): an event-subscribed webhook's
(`subscription`), or one action of a trigger whose conditions held (`trigger`). Each
becomes an invocation with a deterministic id, so a message delivered twice finds the
invocation it made instead of making a second.

An attempt: throttle per account (the first attempt only: the cap counts invocations;
delayed, not dropped) -> circuit breaker (delayed while open) -> sign, authenticate, send
through the guarded client -> record the attempt -> feed the breaker -> decide by the
retry policy: success, a later attempt (a delayed message), or a final failure. 410 Gone
deactivates the webhook. Every outcome is recorded before the message is acknowledged;
only what cannot be recorded is left to SQS (and so to the DLQ).

Redelivered messages do nothing twice: a message for an invocation that is final, or
whose attempt was already made, is dropped; a final status never changes.

Every attempt keeps what was sent (headers with authentication and custom header values
redacted; the payload is kept once per invocation) and what came back (headers, and the
payload up to RESPONSE_PAYLOAD_BYTES). A recovery is sent again page by page from here:
each `recover` message sends up to RECOVERY_PAGE invocations and schedules the next page
RECOVERY_INTERVAL_SECONDS later. Hookyard's own events (hookyard.bus) announce final
failures, deactivations and the breaker opening and closing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from delivery.log import logger
from hookyard import bus, clock, queues
from hookyard.errors import NotFound
from hookyard.messages import AttemptMessage, OutboundRequest, RecoverMessage, SubscriptionMessage, TriggerMessage
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


class Webhooks(Protocol):
    def get(self, account_id: int, webhook_id: str) -> WebhookRecord: ...

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
    def admit(self, account_id: int) -> float: ...


class Recoveries(Protocol):
    def get(self, account_id: int, webhook_id: str, recovery_id: str) -> RecoveryRecord: ...

    def progress(self, account_id: int, webhook_id: str, recovery_id: str, sent: int, done: bool) -> None: ...


class Breakers(Protocol):
    def acquire(self, account_id: int, webhook_id: str) -> breaker.Permit: ...

    def record(self, account_id: int, webhook_id: str, *, success: bool, probe: bool) -> bool: ...


@dataclass(frozen=True)
class Result:
    """What happened to one message, for metrics."""

    status: str | None  # the invocation's status after this message; None if nothing happened
    attempted: bool = False
    failed: bool = False
    breaker_opened: bool = False


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
    # Webhooks and triggers as read for this batch (None: gone or inactive): a batch's
    # messages mostly go to the same few, so each is read once per batch.
    _webhooks: dict[tuple[int, str], WebhookRecord | None] = field(default_factory=dict)
    _triggers: dict[tuple[int, str], TriggerRecord | None] = field(default_factory=dict)

    # ------------------------------------------------------------ from the router
    def subscription(self, message: SubscriptionMessage) -> Result:
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
        return self._first_attempt(message.account_id, webhook, invocation_id(request.event_id, webhook.id), request)

    def trigger(self, message: TriggerMessage) -> Result:
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
            if self.invocations.create_invocation(message.account_id, record):
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
        return self._first_attempt(message.account_id, webhook, invocation, request)

    def _first_attempt(
        self, account_id: int, webhook: WebhookRecord, invocation: str, request: OutboundRequest
    ) -> Result:
        record = new_invocation(webhook.id, invocation, request.event_id, request.event_type)
        if not _is_new(self.invocations.create_invocation(account_id, record, request)):
            return Result(None)  # a redelivered message: the invocation is under way (or done) already
        return self._attempt(first_attempt(account_id, webhook.id, invocation, request), webhook)

    # ------------------------------------------------------------ attempts
    def attempt(self, message: AttemptMessage) -> Result:
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
        return self._attempt(message, webhook)

    def _attempt(self, message: AttemptMessage, webhook: WebhookRecord) -> Result:
        if message.attempt == 1:
            wait = self.throttle.admit(message.account_id)
            if wait:
                return self._hold(message, InvocationStatus.THROTTLED, wait)
        permit = self.breakers.acquire(message.account_id, webhook.id)
        if not permit.allowed:
            return self._hold(message, InvocationStatus.CIRCUIT_BROKEN, max(1.0, permit.retry_in))
        return self._send(message, webhook, probe=permit.probe)

    def _hold(self, message: AttemptMessage, status: InvocationStatus, wait: float) -> Result:
        """Hold the attempt back for `wait` seconds, with `status` shown meanwhile."""
        self.invocations.set_status(message.account_id, message.webhook_id, message.invocation_id, status)
        self.queue.send_later(message.model_dump(exclude={"not_before"}), wait)
        return Result(status)

    def _send(self, message: AttemptMessage, webhook: WebhookRecord, probe: bool) -> Result:
        request = message.request
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
        status_code: int | None = None
        error: str | None = None
        response_body: str | None = None
        retry_after: str | None = None
        timed_out = connection_failed = False
        try:
            response = self.client.request(
                request.method, url, headers=headers, body=body or None, timeout=REQUEST_TIMEOUT_SECONDS
            )
            status_code = response.status
            response_body = response.text()
            retry_after = response.headers.get("retry-after")
        except OutboundTimeout as exc:
            timed_out, error = True, str(exc)
        except OutboundError as exc:
            connection_failed, error = True, str(exc)
        duration_ms = int((time.monotonic() - started) * 1000)

        outcome = retry.Outcome(
            status=status_code, timeout=timed_out, connection_error=connection_failed, retry_after=retry_after
        )
        decision = retry.decide(webhook.retry_policy, message.attempt, outcome, now=datetime.now(UTC))
        succeeded = isinstance(decision, retry.Success)
        opened = self.breakers.record(message.account_id, webhook.id, success=succeeded, probe=probe)
        recorded_response = None
        if status_code is not None:
            recorded_response = RecordedResponse(
                headers=response.headers,
                payload=_first_bytes(response_body or "", RESPONSE_PAYLOAD_BYTES) or None,
                truncated=response.truncated or len((response_body or "").encode()) > RESPONSE_PAYLOAD_BYTES,
            )
        if isinstance(decision, retry.Retry):
            # Scheduled before the attempt is recorded: a crash in between repeats this
            # attempt (at least once) rather than losing the next one.
            self.queue.send_later(
                message.model_copy(update={"attempt": message.attempt + 1}).model_dump(exclude={"not_before"}),
                decision.delay_seconds,
            )
        self.invocations.record_attempt(
            message.account_id,
            webhook.id,
            message.invocation_id,
            AttemptRecord(
                number=message.attempt,
                status=decision.status,
                status_code=status_code,
                completed_at=clock.now(),
                duration_ms=duration_ms,
                error=error,
                request=RecordedRequest(headers=_redacted(headers, webhook, self.secrets), payload=None),
                response=recorded_response,
            ),
            status=decision.invocation_status,
        )
        if isinstance(decision, retry.Final):
            self._announce_failure(message, decision, status_code, error)
        if isinstance(decision, retry.Final) and decision.deactivate:
            reason = "the endpoint answered 410 Gone"
            self.webhooks.deactivate(message.account_id, webhook.id, reason)
            self._webhooks[(message.account_id, webhook.id)] = None
            logger.warning("webhook deactivated: 410 Gone", webhook_id=webhook.id)
            self._announce(message.account_id, bus.DEACTIVATED, webhook.id, {"reason": reason})
        if opened:
            self._announce(message.account_id, bus.CIRCUIT_OPENED, webhook.id, {})
        elif probe and succeeded:
            self._announce(message.account_id, bus.CIRCUIT_CLOSED, webhook.id, {})
        logger.info(
            "delivery attempt",
            account_id=message.account_id,
            webhook_id=webhook.id,
            invocation_id=message.invocation_id,
            attempt=message.attempt,
            status=decision.status.value,
            invocation_status=decision.invocation_status.value,
            status_code=status_code,
            duration_ms=duration_ms,
        )
        return Result(decision.invocation_status, attempted=True, failed=not succeeded, breaker_opened=opened)

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
        # One per event per recovery: an event whose redelivery failed too is sent once.
        invocation = invocation_id(original.event_id, recovery.webhook_id, "recovery", recovery.id)
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
        if existing is not None and (existing.redelivery_of != original.id or not _is_new(existing)):
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
    def _active_webhook(self, account_id: int, webhook_id: str) -> WebhookRecord | None:
        """The webhook if it is active (read once per batch), else None."""
        cache_key = (account_id, webhook_id)
        if cache_key not in self._webhooks:
            self._webhooks[cache_key] = self._read_webhook(account_id, webhook_id)
        return self._webhooks[cache_key]

    def _read_webhook(self, account_id: int, webhook_id: str) -> WebhookRecord | None:
        try:
            webhook = self.webhooks.get(account_id, webhook_id)
        except NotFound:
            logger.info("webhook gone; delivery dropped", webhook_id=webhook_id)
            return None
        if not webhook.active:
            logger.info("webhook inactive; delivery dropped", webhook_id=webhook_id)
            return None
        return webhook

    def _active_trigger(self, account_id: int, trigger_id: str) -> TriggerRecord | None:
        cache_key = (account_id, trigger_id)
        if cache_key not in self._triggers:
            try:
                found: TriggerRecord | None = self.triggers.get(account_id, trigger_id)
            except NotFound:
                found = None
            self._triggers[cache_key] = found if found is not None and found.active else None
        return self._triggers[cache_key]


def _is_new(existing: InvocationRecord | None) -> bool:
    """Whether an invocation that create_invocation found (None: it made it) still needs
    its first attempt: yes if it was made but never attempted (a crash in between)."""
    return existing is None or (
        not existing.final and not existing.attempts and existing.status == InvocationStatus.ACCEPTED
    )


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
