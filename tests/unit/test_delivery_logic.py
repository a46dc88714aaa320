"""delivery.logic with in-memory fakes: statuses that tell final from pending, messages
delivered twice that do nothing twice, the throttle counting invocations, and what a
deleted webhook or a 410 does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from delivery.logic import Delivery, invocation_id
from hookyard.messages import AttemptMessage, SubscriptionMessage, TriggerMessage
from hookyard.models.triggers import TriggerRecord
from hookyard.models.webhooks import HttpMethod, InvocationStatus, RequestFormat, WebhookRecord, WebhookStatus
from hookyard.outbound import OutboundTimeout
from hookyard.webhooks import signing
from hookyard.webhooks.secrets import WebhookSecrets
from tests.unit.fakes import (
    ClosedBreakers,
    MemoryInvocations,
    MemoryQueue,
    MemorySealer,
    MemoryTriggers,
    MemoryWebhooks,
    OpenThrottle,
    ScriptedHttp,
    response,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SECRETS = WebhookSecrets(MemorySealer())
EVENT = {
    "account_id": 1,
    "integration": "acme",
    "event_id": "01EVENT",
    "received_at": "2026-01-01T00:00:00.000Z",
    "source_system": "slack",
    "event_type": "ticket.NewReply",
    "body": {"ticket": {"id": 7, "title": "Printer on fire"}},
}


def webhook(**fields: Any) -> WebhookRecord:
    values: dict[str, Any] = {
        "account_id": 1,
        "id": "01WEBHOOK",
        "name": "hook",
        "endpoint": "https://example.com/hook",
        "http_method": HttpMethod.POST,
        "request_format": RequestFormat.JSON,
        "status": WebhookStatus.ACTIVE,
        "subscriptions": ["slack:event-type:ticket.NewReply"],
        "signing_secret_sealed": SECRETS.seal_signing_secret(1, "01WEBHOOK", signing.new_signing_secret()),
        "created_at": NOW,
        "created_by": "t",
        "updated_at": NOW,
        "updated_by": "t",
    }
    return WebhookRecord(**{**values, **fields})


class Stack:
    """A Delivery over fakes, with the fakes at hand."""

    def __init__(self, *replies: Any, throttle: OpenThrottle | None = None, hooks: Any = None, **kw: Any) -> None:
        self.webhooks = hooks or MemoryWebhooks(webhook())
        self.invocations = MemoryInvocations()
        self.queue = MemoryQueue()
        self.http = ScriptedHttp(*replies)
        self.throttle = throttle or OpenThrottle()
        self.delivery = self.fresh(**kw)

    def fresh(self, triggers: MemoryTriggers | None = None) -> Delivery:
        """A new invocation's Delivery (its per-batch caches empty), on the same stores."""
        return Delivery(
            webhooks=self.webhooks,
            triggers=triggers or MemoryTriggers(),
            invocations=self.invocations,
            throttle=self.throttle,
            breakers=ClosedBreakers(),
            secrets=SECRETS,
            client=self.http,
            queue=self.queue,
        )

    def only_invocation(self) -> Any:
        [record] = self.invocations.invocations.values()
        return record

    def run_scheduled(self) -> None:
        """Every message scheduled for later, now (as SQS would, once its delay passed)."""
        while self.queue.sent:
            body, _ = self.queue.sent.pop(0)
            self.fresh().attempt(AttemptMessage.model_validate(body))


def subscription() -> SubscriptionMessage:
    return SubscriptionMessage(kind="subscription", account_id=1, webhook_id="01WEBHOOK", event=EVENT)


def test_a_delivered_event_is_a_successful_invocation_with_its_status_code() -> None:
    stack = Stack(response(200))

    stack.delivery.subscription(subscription())

    record = stack.only_invocation()
    assert (record.status, record.status_code, record.attempts) == (InvocationStatus.SUCCESS, 200, 1)
    assert record.id == invocation_id("01EVENT", "01WEBHOOK")


def test_a_subscription_message_delivered_twice_sends_once() -> None:
    stack = Stack(response(200))

    stack.delivery.subscription(subscription())
    stack.fresh().subscription(subscription())

    assert len(stack.http.requests) == 1


def test_an_attempt_message_delivered_again_after_it_was_made_sends_nothing_and_keeps_the_final_status() -> None:
    stack = Stack(response(409), response(200))
    stack.delivery.subscription(subscription())
    retry, _ = stack.queue.sent[0]
    stack.run_scheduled()

    stack.fresh().attempt(AttemptMessage.model_validate(retry))  # SQS hands the retry over again

    assert len(stack.http.requests) == 2
    assert stack.only_invocation().status == InvocationStatus.SUCCESS


def test_a_last_attempt_answered_429_ends_failed_not_throttled() -> None:
    stack = Stack(response(429))  # no Retry-After: final at once

    stack.delivery.subscription(subscription())

    record = stack.only_invocation()
    assert record.status == InvocationStatus.FAILED
    assert record.final
    assert record.status_code == 429
    assert [a.status for a in stack.invocations.attempts[record.id]] == [InvocationStatus.THROTTLED]


def test_an_invocation_held_back_by_the_account_cap_is_throttled_and_pending() -> None:
    stack = Stack(response(200), throttle=OpenThrottle(cap=0, wait=42))

    stack.delivery.subscription(subscription())

    record = stack.only_invocation()
    assert record.status == InvocationStatus.THROTTLED
    assert not record.final
    assert [delay for _, delay in stack.queue.sent] == [42]
    assert stack.http.requests == []


def test_a_retrying_invocation_is_pending_and_retries_do_not_count_against_the_cap() -> None:
    throttle = OpenThrottle(cap=1)
    stack = Stack(OutboundTimeout("slow"), response(200), throttle=throttle)

    stack.delivery.subscription(subscription())
    pending = stack.only_invocation()
    stack.run_scheduled()

    assert pending.status == InvocationStatus.RETRYING
    assert not pending.final
    assert stack.only_invocation().status == InvocationStatus.SUCCESS
    assert throttle.admitted == 1


def test_a_pending_retry_of_a_deleted_webhook_is_terminated_without_a_request() -> None:
    stack = Stack(response(500, headers={}), response(200))
    stack.webhooks.records[(1, "01WEBHOOK")] = webhook(retry_policy="extended")
    stack.delivery.subscription(subscription())
    del stack.webhooks.records[(1, "01WEBHOOK")]

    stack.run_scheduled()

    assert stack.only_invocation().status == InvocationStatus.TERMINATED
    assert len(stack.http.requests) == 1


def test_410_gone_fails_the_invocation_and_deactivates_the_webhook() -> None:
    stack = Stack(response(410))

    stack.delivery.subscription(subscription())

    assert stack.only_invocation().status == InvocationStatus.FAILED
    assert stack.webhooks.deactivated == [("01WEBHOOK", "the endpoint answered 410 Gone")]


def test_a_final_status_is_never_overwritten() -> None:
    stack = Stack(response(200))
    stack.delivery.subscription(subscription())
    record = stack.only_invocation()

    stack.invocations.set_status(1, "01WEBHOOK", record.id, InvocationStatus.RETRYING)

    assert stack.only_invocation().status == InvocationStatus.SUCCESS


def trigger_record(**fields: Any) -> TriggerRecord:
    values: dict[str, Any] = {
        "account_id": 1,
        "id": "01TRIGGER",
        "title": "t",
        "active": True,
        "conditions": {"all": [], "any": []},
        "actions": [{"field": "notification_webhook", "value": ["01WEBHOOK", '{"title": "{{ticket.title}}"}']}],
        "created_at": NOW,
        "created_by": "t",
        "updated_at": NOW,
        "updated_by": "t",
    }
    return TriggerRecord(**{**values, **fields})


def trigger_message(action: int = 0, webhook_id: str = "01WEBHOOK") -> TriggerMessage:
    return TriggerMessage(
        kind="trigger", account_id=1, trigger_id="01TRIGGER", action=action, webhook_id=webhook_id, event=EVENT
    )


def test_a_trigger_action_sends_its_rendered_body_to_its_webhook() -> None:
    hooks = MemoryWebhooks(webhook(subscriptions=["conditional_ticket_events"]))
    stack = Stack(response(200), hooks=hooks, triggers=MemoryTriggers(trigger_record()))

    stack.delivery.trigger(trigger_message())

    [request] = stack.http.requests
    assert request["body"] == b'{"title": "Printer on fire"}'
    assert stack.only_invocation().id == invocation_id("01EVENT", "01WEBHOOK", "01TRIGGER")


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (trigger_record(active=False), trigger_message()),
        (trigger_record(), trigger_message(action=1)),
        (trigger_record(), trigger_message(webhook_id="01OTHER")),
    ],
)
def test_a_trigger_message_that_no_longer_matches_the_trigger_sends_nothing(
    trigger: TriggerRecord, message: TriggerMessage
) -> None:
    hooks = MemoryWebhooks(webhook(subscriptions=["conditional_ticket_events"]))
    stack = Stack(response(200), hooks=hooks, triggers=MemoryTriggers(trigger))

    stack.delivery.trigger(message)

    assert stack.http.requests == []
    assert stack.invocations.invocations == {}
