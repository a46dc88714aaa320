"""Seeing and resending (Hookyard's additions beside Zendesk's webhooks API): send one
invocation again, or every invocation that failed in a window (a recovery).

Both make new invocations, with new ids (so a receiver that dedupes on the invocation id
takes them), that carry the same request as the original and go through the delivery
queue like any other: signed with the webhook's current secret, sent with its current
authentication and custom headers, subject to the throttle and the circuit breaker. A
recovery is a queue-driven job: the API counts and records it, and the delivery function
sends it page by page (delivery.logic.Delivery.recover), so no request does it all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hookyard import clock, ids
from hookyard.errors import BadRequest, Conflict, NotFound
from hookyard.messages import RecoverMessage
from hookyard.models.webhooks import InvocationRecord, InvocationTrigger, RecoveryRecord, WebhookRecord
from hookyard.webhooks.invocations import RECOVERABLE, first_attempt, invocation_id, new_invocation
from webhooks_api.logic import Services


def redeliver(svc: Services, account_id: int, actor: str, webhook_id: str, original_id: str) -> InvocationRecord:
    """A new invocation sending `original_id`'s request again, queued for delivery.
    NotFound: no such invocation (or another account's); Conflict: the webhook is deleted;
    BadRequest: the webhook is inactive, or the invocation kept no request."""
    original = svc.invocations.get_invocation(account_id, webhook_id, original_id)
    try:
        webhook = _active(svc.webhooks.get(account_id, webhook_id))
    except NotFound:
        raise Conflict("the webhook was deleted: its invocations cannot be sent again") from None
    request = svc.invocations.stored_request(account_id, webhook_id, original.id)
    if request is None:
        raise BadRequest("invocation: it was recorded before Hookyard kept requests, so it cannot be sent again")
    invocation = invocation_id(original.event_id, webhook.id, "manual", ids.new_ulid())
    record = new_invocation(
        webhook.id,
        invocation,
        original.event_id,
        original.event_type,
        InvocationTrigger.MANUAL,
        redelivery_of=original.id,
        requested_by=actor,
    )
    svc.invocations.create_invocation(account_id, record, request)
    svc.deliveries.send(first_attempt(account_id, webhook.id, invocation, request).model_dump())
    return record


def recover(
    svc: Services, account_id: int, actor: str, webhook_id: str, since: datetime, until: datetime | None
) -> RecoveryRecord:
    """Record a recovery of the webhook's invocations that ended failed or terminated in
    [since, until] (until: now) and start it. `since` must lie within the retention."""
    webhook = _active(svc.webhooks.get(account_id, webhook_id))
    now = clock.now()
    since, until = _utc(since), _utc(until) if until is not None else now
    oldest = now - timedelta(days=svc.retention_days)
    if since < oldest:
        raise BadRequest(
            f"since: invocations are kept {svc.retention_days} days (ActivityRetentionDays); "
            f"give a time after {clock.iso(oldest)}"
        )
    if until > now:
        until = now
    if since >= until:
        raise BadRequest("since: must be before until (and before now)")
    count = svc.invocations.count_events(account_id, webhook.id, since, until, RECOVERABLE)
    recovery = RecoveryRecord(
        account_id=account_id,
        webhook_id=webhook.id,
        id=ids.new_ulid(),
        since=since,
        until=until,
        count=count,
        status="running" if count else "done",
        requested_by=actor,
        created_at=now,
    )
    svc.recoveries.create(recovery)
    if count:
        start = RecoverMessage(kind="recover", account_id=account_id, webhook_id=webhook.id, recovery_id=recovery.id)
        svc.deliveries.send(start.model_dump(exclude={"not_before"}))
    return recovery


def show_recovery(svc: Services, account_id: int, webhook_id: str, recovery_id: str) -> RecoveryRecord:
    svc.webhooks.get(account_id, webhook_id)
    return svc.recoveries.get(account_id, webhook_id, recovery_id)


def _active(webhook: WebhookRecord) -> WebhookRecord:
    if not webhook.active:
        raise BadRequest("webhook: is inactive, so nothing can be sent to it; activate it first")
    return webhook


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
