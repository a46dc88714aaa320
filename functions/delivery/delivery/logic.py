"""Delivery rules: turn bus events into invocations, and make attempts.

An attempt: throttle per account (delayed, not dropped) -> circuit breaker (delayed
while open) -> sign, authenticate, send through the guarded client -> record the
attempt -> feed the breaker -> decide by the retry policy: success, a later attempt
(a new delayed message: SQS delay up to 15 min, longer waits hop), or a final status.
410 Gone deactivates the webhook. Every outcome is recorded before the message is
acknowledged; only what cannot be recorded is left to SQS (and so to the DLQ).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from delivery.messages import AttemptMessage, OutboundRequest, SubscriptionMessage, TriggerMessage
from hookyard import aws, clock
from hookyard.dal.invocations import InvocationsRepository, truncate_body
from hookyard.dal.throttle import InvocationThrottle
from hookyard.dal.triggers import TriggersRepository
from hookyard.dal.webhooks import WebhooksRepository
from hookyard.errors import NotFound
from hookyard.models.webhooks import AttemptRecord, InvocationStatus, WebhookRecord
from hookyard.outbound import OutboundClient, OutboundError, OutboundTimeout
from hookyard.webhooks import breaker, payload, retry, signing, triggers

logger = Logger(child=True)
MAX_SQS_DELAY = 900
REQUEST_TIMEOUT_SECONDS = 12.0


@dataclass(frozen=True)
class Result:
    """What happened to one message, for metrics."""

    status: str | None  # the invocation's status after this attempt; None if nothing was sent
    attempted: bool = False
    failed: bool = False
    breaker_opened: bool = False


@dataclass
class Delivery:
    webhooks: WebhooksRepository
    triggers: TriggersRepository
    invocations: InvocationsRepository
    throttle: InvocationThrottle
    breakers: breaker.BreakerStore
    client: OutboundClient
    queue_url: str
    event_bus: str
    # Webhooks as read for this batch (None: gone or inactive): a batch's messages mostly
    # go to the same few webhooks, so each is read once per batch, not once per message.
    _webhooks: dict[tuple[int, str], WebhookRecord | None] = field(default_factory=dict)

    # ------------------------------------------------------------ from the bus
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
        invocation_id = _invocation_id(request.event_id, webhook.id)
        return self._first_attempt(message.account_id, webhook, invocation_id, request)

    def trigger(self, message: TriggerMessage) -> list[Result]:
        try:
            trigger = self.triggers.get(message.account_id, message.trigger_id)
        except NotFound:
            return []
        if not trigger.active:
            return []
        body = payload.build_payload(message.event)
        # What the EventBridge pattern could not express is checked here.
        if not triggers.evaluate(trigger.residual_conditions, body):
            return []
        results = []
        for action in trigger.webhook_actions():
            webhook = self._active_webhook(message.account_id, action.webhook_id)
            if webhook is None:
                continue
            invocation_id = _invocation_id(str(body["id"]), webhook.id, trigger.id)
            try:
                rendered = triggers.render_request(action.body, body, webhook.request_format, webhook.http_method)
            except triggers.RenderError as exc:
                # This event cannot fill the template: the invocation fails, visibly.
                self.invocations.create_invocation(
                    message.account_id, webhook.id, invocation_id, str(body["id"]), str(body["type"])
                )
                self.invocations.record_attempt(
                    message.account_id,
                    webhook.id,
                    invocation_id,
                    AttemptRecord(
                        number=1,
                        status=InvocationStatus.FAILED,
                        completed_at=clock.now(),
                        duration_ms=0,
                        error=exc.detail,
                    ),
                    status=InvocationStatus.FAILED,
                )
                results.append(Result(InvocationStatus.FAILED))
                continue
            request = OutboundRequest(
                method=webhook.http_method,
                body=rendered.body or "",
                content_type=rendered.content_type,
                query=rendered.query,
                event_id=str(body["id"]),
                event_type=str(body["type"]),
            )
            results.append(self._first_attempt(message.account_id, webhook, invocation_id, request))
        return results

    def _first_attempt(
        self, account_id: int, webhook: WebhookRecord, invocation_id: str, request: OutboundRequest
    ) -> Result:
        self.invocations.create_invocation(account_id, webhook.id, invocation_id, request.event_id, request.event_type)
        attempt = AttemptMessage(
            kind="attempt",
            account_id=account_id,
            webhook_id=webhook.id,
            invocation_id=invocation_id,
            attempt=1,
            request=request,
        )
        return self.attempt(attempt, webhook)

    # ------------------------------------------------------------ attempts
    def attempt(self, message: AttemptMessage, webhook: WebhookRecord | None = None) -> Result:
        if message.not_before > time.time():
            self._later(message, message.not_before - time.time())
            return Result(None)
        webhook = webhook or self._active_webhook(message.account_id, message.webhook_id)
        if webhook is None:
            self.invocations.set_status(
                message.account_id,
                message.webhook_id,
                message.invocation_id,
                InvocationStatus.FAILED,
                completed_at=clock.now(),
            )
            return Result(InvocationStatus.FAILED)
        wait = self.throttle.admit(message.account_id)
        if wait:
            self.invocations.set_status(
                message.account_id, webhook.id, message.invocation_id, InvocationStatus.THROTTLED
            )
            self._later(message, wait)
            return Result(InvocationStatus.THROTTLED)
        permit = self.breakers.acquire(message.account_id, webhook.id)
        if not permit.allowed:
            self.invocations.set_status(
                message.account_id, webhook.id, message.invocation_id, InvocationStatus.CIRCUIT_BROKEN
            )
            self._later(message, max(1.0, permit.retry_in))
            return Result(InvocationStatus.CIRCUIT_BROKEN)
        return self._send(message, webhook, probe=permit.probe)

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
                self.webhooks.signing_secret(webhook), webhook.id, message.invocation_id, body, now
            ),
            **webhook.custom_headers,
            **self.webhooks.auth_headers(webhook),
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
        status = retry.attempt_status(outcome)
        self.invocations.record_attempt(
            message.account_id,
            webhook.id,
            message.invocation_id,
            AttemptRecord(
                number=message.attempt,
                status=status,
                status_code=status_code,
                completed_at=clock.now(),
                duration_ms=duration_ms,
                error=error,
                response_body=truncate_body(response_body),
            ),
            status=decision.status,
        )
        if isinstance(decision, retry.Retry):
            self._later(message.model_copy(update={"attempt": message.attempt + 1}), decision.delay_seconds)
        elif isinstance(decision, retry.Final) and decision.deactivate:
            self.webhooks.deactivate(
                message.account_id, webhook.id, "the endpoint answered 410 Gone", event_bus=self.event_bus
            )
            self._webhooks[(message.account_id, webhook.id)] = None
            logger.warning("webhook deactivated: 410 Gone", webhook_id=webhook.id)
        logger.info(
            "delivery attempt",
            webhook_id=webhook.id,
            invocation_id=message.invocation_id,
            attempt=message.attempt,
            status=status,
            status_code=status_code,
            duration_ms=duration_ms,
        )
        return Result(decision.status, attempted=True, failed=not succeeded, breaker_opened=opened)

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
        if webhook.status != "active":
            logger.info("webhook inactive; delivery dropped", webhook_id=webhook_id)
            return None
        return webhook

    def _later(self, message: AttemptMessage, delay: float) -> None:
        """Send `message` again after `delay` seconds (hopping when over SQS's 15 minutes)."""
        body = message.model_copy(update={"not_before": time.time() + delay}).model_dump_json()
        aws.sqs().send_message(
            QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=max(0, min(MAX_SQS_DELAY, int(delay + 0.999)))
        )


def _invocation_id(event_id: str, *parts: str) -> str:
    """Deterministic per event and destination, so a redelivered message finds its
    invocation instead of creating a second one."""
    return f"{event_id}-{hashlib.sha256(':'.join(parts).encode()).hexdigest()[:8]}"


__all__ = ["Delivery", "Result"]
