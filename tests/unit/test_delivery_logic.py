"""delivery.logic with in-memory fakes: statuses that tell final from pending, messages
delivered twice that do nothing twice, the throttle counting invocations, and what a
deleted webhook or a 410 does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from delivery.logic import Delivery
from hookyard.messages import AttemptMessage, OutboundRequest, RecoverMessage, SubscriptionMessage, TriggerMessage
from hookyard.models.triggers import TriggerRecord
from hookyard.models.webhooks import (
    AuthType,
    HttpMethod,
    InvocationRecord,
    InvocationStatus,
    RecoveryRecord,
    RequestFormat,
    StoredAuthentication,
    WebhookRecord,
    WebhookStatus,
)
from hookyard.outbound import OutboundTimeout
from hookyard.webhooks import signing
from hookyard.webhooks.breaker import Permit
from hookyard.webhooks.invocations import invocation_id
from hookyard.webhooks.secrets import WebhookSecrets
from tests.unit.fakes import (
    ClosedBreakers,
    MemoryBus,
    MemoryInvocations,
    MemoryQueue,
    MemoryRecoveries,
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
        self.bus = MemoryBus()
        self.recoveries = MemoryRecoveries()
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
            bus=self.bus,
            recoveries=self.recoveries,
        )

    def only_invocation(self) -> Any:
        [record] = self.invocations.invocations.values()
        return record

    def run_scheduled(self) -> None:
        """Every message scheduled for later, now (as SQS would, once its delay passed)."""
        while self.queue.sent:
            body, _ = self.queue.sent.pop(0)
            self.fresh().handle(AttemptMessage.model_validate(body))


def subscription() -> SubscriptionMessage:
    return SubscriptionMessage(kind="subscription", account_id=1, webhook_id="01WEBHOOK", event=EVENT)


def test_a_delivered_event_is_a_successful_invocation_with_its_status_code() -> None:
    stack = Stack(response(200))

    stack.delivery.handle(subscription())

    record = stack.only_invocation()
    assert (record.status, record.status_code, record.attempts) == (InvocationStatus.SUCCESS, 200, 1)
    assert record.id == invocation_id("01EVENT", "01WEBHOOK")


def test_a_subscription_message_handed_over_again_sends_once() -> None:
    stack = Stack(response(200))

    stack.delivery.handle(subscription())
    stack.fresh().handle(subscription(), receive_count=2)  # SQS hands it over again

    assert len(stack.http.requests) == 1


def test_the_same_message_twice_in_one_batch_sends_once() -> None:
    stack = Stack(response(200))

    outcomes = stack.delivery.run([("a", subscription(), 1), ("b", subscription(), 1)])

    assert len(stack.http.requests) == 1
    assert set(outcomes) == {"a", "b"}


def test_a_batch_reads_its_webhooks_throttle_and_breaker_once() -> None:
    stack = Stack(response(200))
    breakers = ClosedBreakers()
    delivery = stack.fresh()
    delivery.breakers = breakers
    events = [
        SubscriptionMessage(kind="subscription", account_id=1, webhook_id="01WEBHOOK",
                            event={**EVENT, "event_id": f"01EVENT{n}"})
        for n in range(10)
    ]  # fmt: skip

    delivery.run([(f"m{n}", m, 1) for n, m in enumerate(events)])

    assert len(stack.http.requests) == 10
    assert stack.webhooks.batch_reads == 1
    assert stack.throttle.calls == 1
    assert breakers.acquired == 1
    assert breakers.results == [True] * 10


def test_an_attempt_message_delivered_again_after_it_was_made_sends_nothing_and_keeps_the_final_status() -> None:
    stack = Stack(response(409), response(200))
    stack.delivery.handle(subscription())
    retry, _ = stack.queue.sent[0]
    stack.run_scheduled()

    stack.fresh().handle(AttemptMessage.model_validate(retry))  # SQS hands the retry over again

    assert len(stack.http.requests) == 2
    assert stack.only_invocation().status == InvocationStatus.SUCCESS


def test_a_last_attempt_answered_429_ends_failed_not_throttled() -> None:
    stack = Stack(response(429))  # no Retry-After: final at once

    stack.delivery.handle(subscription())

    record = stack.only_invocation()
    assert record.status == InvocationStatus.FAILED
    assert record.final
    assert record.status_code == 429
    assert [a.status for a in stack.invocations.attempts[record.id]] == [InvocationStatus.THROTTLED]


def test_an_invocation_held_back_by_the_account_cap_is_throttled_and_pending() -> None:
    stack = Stack(response(200), throttle=OpenThrottle(cap=0, wait=42))

    stack.delivery.handle(subscription())

    record = stack.only_invocation()
    assert record.status == InvocationStatus.THROTTLED
    assert not record.final
    assert [delay for _, delay in stack.queue.sent] == [42]
    assert stack.http.requests == []


def test_a_retrying_invocation_is_pending_and_retries_do_not_count_against_the_cap() -> None:
    throttle = OpenThrottle(cap=1)
    stack = Stack(OutboundTimeout("slow"), response(200), throttle=throttle)

    stack.delivery.handle(subscription())
    pending = stack.only_invocation()
    stack.run_scheduled()

    assert pending.status == InvocationStatus.RETRYING
    assert not pending.final
    assert stack.only_invocation().status == InvocationStatus.SUCCESS
    assert throttle.admitted == 1


def test_a_pending_retry_of_a_deleted_webhook_is_terminated_without_a_request() -> None:
    stack = Stack(response(500, headers={}), response(200))
    stack.webhooks.records[(1, "01WEBHOOK")] = webhook(retry_policy="extended")
    stack.delivery.handle(subscription())
    del stack.webhooks.records[(1, "01WEBHOOK")]

    stack.run_scheduled()

    assert stack.only_invocation().status == InvocationStatus.TERMINATED
    assert len(stack.http.requests) == 1


def test_410_gone_fails_the_invocation_and_deactivates_the_webhook() -> None:
    stack = Stack(response(410))

    stack.delivery.handle(subscription())

    assert stack.only_invocation().status == InvocationStatus.FAILED
    assert stack.webhooks.deactivated == [("01WEBHOOK", "the endpoint answered 410 Gone")]


def test_a_final_status_is_never_overwritten() -> None:
    stack = Stack(response(200))
    stack.delivery.handle(subscription())
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

    stack.delivery.handle(trigger_message())

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

    stack.delivery.handle(message)

    assert stack.http.requests == []
    assert stack.invocations.invocations == {}


# ------------------------------------------------------------------ what is kept


def test_an_attempt_keeps_the_request_with_secrets_redacted_and_the_response() -> None:
    hooks = MemoryWebhooks(
        webhook(
            custom_headers={"X-Team": "support-secret"},
            authentication=StoredAuthentication(
                type=AuthType.BEARER_TOKEN, sealed=SECRETS.seal_authentication(1, "01WEBHOOK", {"token": "t0ken"})
            ),
        )
    )
    answer = response(500, b'{"error": "boom"}', headers={"content-type": "application/json", "x-trace": "7"})
    stack = Stack(answer, hooks=hooks)

    stack.delivery.handle(subscription())

    [attempt] = stack.invocations.attempts[stack.only_invocation().id]
    assert attempt.request is not None
    assert attempt.response is not None
    sent = attempt.request.headers
    assert sent["Authorization"] == sent["X-Team"] == "[redacted]"
    assert sent["x-zendesk-webhook-signature"] == stack.http.requests[0]["headers"]["x-zendesk-webhook-signature"]
    assert "t0ken" not in repr(attempt)
    assert "support-secret" not in repr(attempt)
    assert attempt.response.headers == {"content-type": "application/json", "x-trace": "7"}
    assert attempt.response.payload == '{"error": "boom"}'
    assert attempt.response.truncated is False
    kept = stack.invocations.requests[stack.only_invocation().id]
    assert kept.body == stack.http.requests[0]["body"].decode()


def test_a_response_payload_is_kept_up_to_16_kb_and_marked_truncated() -> None:
    stack = Stack(response(200, b"x" * 20_000))

    stack.delivery.handle(subscription())

    [attempt] = stack.invocations.attempts[stack.only_invocation().id]
    assert attempt.response is not None
    assert len(attempt.response.payload or "") == 16 * 1024
    assert attempt.response.truncated is True


# ------------------------------------------------------------------ Hookyard's events


def test_a_final_failure_is_announced_with_the_webhook_invocation_status_and_code() -> None:
    stack = Stack(response(500))

    stack.delivery.handle(subscription())

    [(account_id, detail_type, body, about)] = stack.bus.published
    record = stack.only_invocation()
    assert (account_id, detail_type, about) == (1, "webhook.invocation.failed", "01WEBHOOK")
    assert body["webhook_id"] == "01WEBHOOK"
    assert body["invocation_id"] == record.id
    assert (body["status"], body["status_code"]) == ("failed", 500)


def test_a_retrying_or_successful_invocation_announces_nothing() -> None:
    stack = Stack(response(409), response(200))

    stack.delivery.handle(subscription())
    stack.run_scheduled()

    assert stack.bus.published == []


def test_a_notice_that_cannot_be_delivered_raises_no_notice_of_its_own() -> None:
    stack = Stack(response(500))
    notice = {**EVENT, "source_system": "hookyard", "event_type": "webhook.invocation.failed"}

    stack.delivery.handle(SubscriptionMessage(kind="subscription", account_id=1, webhook_id="01WEBHOOK", event=notice))

    assert stack.only_invocation().status == InvocationStatus.FAILED
    assert stack.bus.published == []


def test_410_is_announced_as_a_deactivation() -> None:
    stack = Stack(response(410))

    stack.delivery.handle(subscription())

    assert sorted(stack.bus.types) == ["webhook.deactivated", "webhook.invocation.failed"]


def test_the_breaker_opening_and_closing_are_announced() -> None:
    class Tripping(ClosedBreakers):
        def acquire(self, account_id: int, webhook_id: str) -> Permit:
            return Permit(allowed=True, probe=bool(self.results))

        def record_many(self, account_id: int, webhook_id: str, *, successes: int, failures: int) -> bool:
            self.results += [False] * failures
            return failures > 0

        def record(self, account_id: int, webhook_id: str, success: bool, *, probe: bool = False) -> bool:
            self.results.append(success)
            return not success

    stack = Stack(response(500), response(200))
    delivery = stack.fresh()
    delivery.breakers = Tripping()

    delivery.handle(subscription())
    delivery.handle(SubscriptionMessage(kind="subscription", account_id=1, webhook_id="01WEBHOOK",
                                              event={**EVENT, "event_id": "01EVENT2"}))  # fmt: skip

    assert sorted(stack.bus.types) == ["webhook.circuit.closed", "webhook.circuit.opened", "webhook.invocation.failed"]


# ------------------------------------------------------------------ recovery


def failed_invocations(stack: Stack, count: int, *, redelivered: int = 0) -> None:
    for n in range(count):
        created = datetime(2026, 1, 1, 0, n, tzinfo=UTC)
        request = OutboundRequest(method="POST", body=f'{{"n": {n}}}', event_id=f"01EV{n:04d}", event_type="t")
        for copy in range(1 + (n < redelivered)):
            record = InvocationRecord(
                id=f"01EV{n:04d}-{copy}",
                webhook_id="01WEBHOOK",
                event_id=f"01EV{n:04d}",
                event_type="t",
                status=InvocationStatus.FAILED,
                created_at=created + timedelta(seconds=copy),
                attempts=1,
            )
            stack.invocations.create_invocation(1, record, request)


def recovery(count: int) -> RecoveryRecord:
    return RecoveryRecord(
        account_id=1,
        webhook_id="01WEBHOOK",
        id="01RECOVERY",
        since=datetime(2026, 1, 1, tzinfo=UTC),
        until=datetime(2026, 1, 2, tzinfo=UTC),
        count=count,
        requested_by="token-1",
        created_at=NOW,
    )


def recover_message(after: str | None = None) -> RecoverMessage:
    return RecoverMessage(kind="recover", account_id=1, webhook_id="01WEBHOOK", recovery_id="01RECOVERY", after=after)


def test_a_recovery_sends_each_failed_event_once_in_pages_as_new_invocations() -> None:
    stack = Stack()
    failed_invocations(stack, 25, redelivered=3)
    stack.recoveries = MemoryRecoveries(recovery(25))
    delivery = stack.fresh()
    delivery.recoveries = stack.recoveries

    delivery.recover(recover_message())
    pages = 1
    while next_pages := [b for b, _ in stack.queue.sent if b["kind"] == "recover"]:
        stack.queue.sent = [(b, d) for b, d in stack.queue.sent if b["kind"] != "recover"]
        delivery.recover(RecoverMessage.model_validate(next_pages[0]))
        pages += 1

    sent = [b for b, _ in stack.queue.sent if b["kind"] == "attempt"]
    assert sorted(b["request"]["event_id"] for b in sent) == [f"01EV{n:04d}" for n in range(25)]
    new = [stack.invocations.invocations[b["invocation_id"]] for b in sent]
    assert {(r.trigger, r.recovery_id, r.requested_by) for r in new} == {("recovery", "01RECOVERY", "token-1")}
    assert all(r.redelivery_of and r.redelivery_of.startswith(r.event_id) for r in new)
    assert stack.recoveries.records["01RECOVERY"].sent == 25
    assert stack.recoveries.records["01RECOVERY"].status == "done"
    assert pages == 2


def test_a_recovery_page_handled_twice_sends_each_event_once() -> None:
    stack = Stack(response(200))
    failed_invocations(stack, 3)
    stack.recoveries = MemoryRecoveries(recovery(3))
    delivery = stack.fresh()
    delivery.recoveries = stack.recoveries

    delivery.recover(recover_message())
    stack.recoveries.records["01RECOVERY"] = recovery(3)  # as if its progress had not been written
    delivery.recover(recover_message())
    stack.run_scheduled()

    assert sorted(r["body"] for r in stack.http.requests) == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
