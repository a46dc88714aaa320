"""Outbound delivery through the real handlers on moto: a webhook created through the
API, an event ingested through an inbound webhook, the bus's routing rule, the router,
the delivery queue, and a real HTTP receiver on loopback."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from standardwebhooks import Webhook as StandardWebhook

from hookyard.config import get_settings
from hookyard.webhooks import signing
from tests.e2e.receiver import Answer, Receiver
from tests.integration.conftest import basic, body, drain, invoke, load_event, route_queued, with_path, with_query

SOURCE, EVENT_TYPE = "slack", "ticket.NewReply"


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, float]]:
    """Messages scheduled for later on SQS (hookyard.queues, the one home of SQS sends),
    captured instead of sent, so a test can run the next attempt at once and check the
    delay asked for."""
    from hookyard.queues import SqsQueue

    scheduled: list[tuple[Any, float]] = []
    monkeypatch.setattr(SqsQueue, "send_later", lambda self, body, delay: scheduled.append((body, delay)))
    monkeypatch.setattr(SqsQueue, "send_batch_later", lambda self, items: scheduled.extend(items))
    return scheduled


def create_webhook(url: str, **fields: Any) -> dict[str, Any]:
    from webhooks_api.handler import lambda_handler as api

    event = load_event("webhooks_api/create.json")
    definition = json.loads(event["body"])["webhook"]
    definition.pop("custom_headers", None)  # custom headers need https
    definition.update({"endpoint": url, "subscriptions": [f"{SOURCE}:event-type:{EVENT_TYPE}"], **fields})
    event["body"] = json.dumps({"webhook": definition})
    response = invoke(api, event)
    assert response["statusCode"] == 201, response["body"]
    return body(response)["webhook"]  # type: ignore[no-any-return]


def signing_secret(webhook_id: str) -> str:
    from webhooks_api.handler import lambda_handler as api

    response = invoke(api, with_path(load_event("webhooks_api/show_signing_secret.json"), webhook_id=webhook_id))
    return body(response)["signing_secret"]["secret"]  # type: ignore[no-any-return]


def ingest(payload: dict[str, Any]) -> None:
    from inbound_webhooks_api.handler import lambda_handler as inbound_api
    from ingest.handler import lambda_handler as ingest_handler

    create = load_event("inbound_webhooks_api/create.json")
    create["body"] = json.dumps({"source_system": SOURCE, "event_type": EVENT_TYPE})
    inbound = body(invoke(inbound_api, create))
    event = load_event("ingest/json_body.json")
    event["pathParameters"]["token"] = inbound["path"].rsplit("/", 1)[1]
    event["headers"]["Authorization"] = basic(inbound["username"], inbound["password"])
    event["body"] = json.dumps(payload)
    assert invoke(ingest_handler, event)["statusCode"] == 200
    route_queued()


def deliver_queued(max_batches: int = 5) -> list[dict[str, Any]]:
    """Run the delivery function on what the delivery queue holds, as Lambda would."""
    from delivery.handler import lambda_handler as delivery

    return drain("DELIVERY_QUEUE_URL", delivery, rounds=max_batches)


def run_later(scheduled: list[tuple[Any, float]]) -> Any:
    """Run the first scheduled attempt now, as its delayed message; returns the delay asked for."""
    from delivery.handler import lambda_handler as delivery

    message, delay = scheduled.pop(0)
    record = {"messageId": "later", "body": json.dumps({**message, "not_before": 0})}
    assert invoke(delivery, {"Records": [record]})["batchItemFailures"] == []
    return delay


def invocations(webhook_id: str) -> list[dict[str, Any]]:
    from webhooks_api.handler import lambda_handler as api

    event = with_query(with_path(load_event("webhooks_api/list_invocations.json"), webhook_id=webhook_id), {})
    response = invoke(api, event)
    assert response["statusCode"] == 200, response["body"]
    return body(response)["invocations"]  # type: ignore[no-any-return]


def attempts(webhook_id: str, invocation_id: str) -> list[dict[str, Any]]:
    from webhooks_api.handler import lambda_handler as api

    event = with_path(load_event("webhooks_api/list_attempts.json"), webhook_id=webhook_id, invocation_id=invocation_id)
    return body(invoke(api, event))["attempts"]  # type: ignore[no-any-return]


pytestmark = pytest.mark.usefixtures("loopback_env")


def test_a_subscribed_event_is_delivered_signed_and_authenticated(receiver: Receiver) -> None:
    webhook = create_webhook(receiver.url + "/hook")
    secret = signing_secret(webhook["id"])

    ingest({"ticket": {"id": 42, "status": "open"}})
    deliver_queued()

    [request] = receiver.wait_for(1, "/hook")
    payload = request.json()
    assert payload["type"] == f"{SOURCE}:event-type:{EVENT_TYPE}"
    assert payload["account_id"] == 1
    assert request.headers["x-zendesk-webhook-id"] == webhook["id"]
    assert request.headers["x-zendesk-account-id"] == "1"
    assert request.headers["authorization"] == "Bearer sample-token-not-a-secret"
    # A receiver written for Zendesk verifies the signature as Zendesk documents it ...
    timestamp = request.headers["x-zendesk-webhook-signature-timestamp"]
    assert signing.verify_zendesk(
        body=request.body, signature=request.headers["x-zendesk-webhook-signature"], timestamp=timestamp, secret=secret
    )
    # ... and one using the Standard Webhooks library verifies it too.
    StandardWebhook("whsec_" + secret).verify(request.body, request.headers)
    [invocation] = invocations(webhook["id"])
    assert invocation["status"] == "success"
    assert request.headers["x-zendesk-webhook-invocation-id"] == invocation["id"]
    [attempt] = attempts(webhook["id"], invocation["id"])
    assert attempt["status_code"] == 200


def test_409_is_retried_three_times_then_final(receiver: Receiver, later: list[tuple[Any, float]]) -> None:
    webhook = create_webhook(receiver.url + "/conflict")
    receiver.answer("/conflict", then=Answer(409))

    ingest({"n": 1})
    deliver_queued()
    while later:
        assert run_later(later) > 0

    assert len(receiver.wait_for(4, "/conflict")) == 4
    [invocation] = invocations(webhook["id"])
    assert invocation["status"] == "failed"
    assert invocation["status_code"] == 409
    assert [a["status"] for a in attempts(webhook["id"], invocation["id"])] == ["client error"] * 4


def test_429_with_a_short_retry_after_is_retried_after_it(receiver: Receiver, later: list[tuple[Any, float]]) -> None:
    webhook = create_webhook(receiver.url + "/busy")
    receiver.answer("/busy", Answer(429, headers={"Retry-After": "7"}), then=Answer(200))

    ingest({"n": 1})
    deliver_queued()
    delay = run_later(later)

    assert delay == pytest.approx(7, abs=1)
    assert invocations(webhook["id"])[0]["status"] == "success"


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (Answer(500), "server error"),
        (Answer(503), "server error"),
        (Answer(503, headers={"Retry-After": "120"}), "server error"),
        (Answer(400), "client error"),
    ],
)
def test_other_failures_are_final_after_one_attempt(
    receiver: Receiver, later: list[tuple[Any, float]], answer: Answer, status: str
) -> None:
    webhook = create_webhook(receiver.url + "/fail")
    receiver.answer("/fail", then=answer)

    ingest({"n": 1})
    deliver_queued()

    assert later == []
    [invocation] = invocations(webhook["id"])
    assert invocation["status"] == "failed"
    assert [a["status"] for a in attempts(webhook["id"], invocation["id"])] == [status]


def test_410_gone_deactivates_the_webhook_and_removes_its_routes(receiver: Receiver) -> None:
    from webhooks_api.handler import lambda_handler as api

    webhook = create_webhook(receiver.url + "/gone")
    receiver.answer("/gone", then=Answer(410))

    ingest({"n": 1})
    deliver_queued()
    ingest({"n": 2})

    shown = body(invoke(api, with_path(load_event("webhooks_api/show.json"), webhook_id=webhook["id"])))["webhook"]
    assert shown["status"] == "inactive"
    assert deliver_queued() == []  # the second event reached no queue
    assert len(receiver.requests) == 1


def test_a_timeout_is_retried(
    receiver: Receiver, later: list[tuple[Any, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import delivery.logic

    monkeypatch.setattr(delivery.logic, "REQUEST_TIMEOUT_SECONDS", 0.3)
    webhook = create_webhook(receiver.url + "/slow")
    receiver.answer("/slow", Answer(200, delay=1.0), then=Answer(200))

    ingest({"n": 1})
    deliver_queued()
    run_later(later)

    [invocation] = invocations(webhook["id"])
    statuses = [a["status"] for a in attempts(webhook["id"], invocation["id"])]
    assert statuses == ["timeout", "success"]


def test_deliveries_in_a_batch_go_out_concurrently(receiver: Receiver) -> None:
    # Each request is held until ten have arrived: a serial delivery never gets there
    # and its first request is answered 500 by the receiver.
    create_webhook(receiver.url + "/together")
    barrier = threading.Barrier(10, timeout=5)
    original = receiver._next

    def gated(path: str) -> Answer:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Answer(500)
        return original(path)

    receiver._next = gated  # type: ignore[method-assign]
    for n in range(10):
        ingest({"n": n})
    deliver_queued()

    statuses = [a["status"] for i in invocations(receiver.requests[0].headers["x-zendesk-webhook-id"]) for a in [i]]
    assert statuses == ["success"] * 10


def test_the_breaker_opens_and_delays_deliveries(receiver: Receiver, later: list[tuple[Any, float]]) -> None:
    webhook = create_webhook(receiver.url + "/down")
    receiver.answer("/down", then=Answer(500))

    for n in range(12):
        ingest({"n": n})
    deliver_queued()
    ingest({"n": "after"})
    deliver_queued()

    statuses = sorted(i["status"] for i in invocations(webhook["id"]))
    assert "circuit broken" in statuses
    assert "throttled" not in statuses
    assert later, "the held-back delivery is scheduled, not dropped"
    assert len(receiver.requests) < 13


def test_invocations_over_the_account_rate_are_throttled_and_delayed(
    receiver: Receiver, later: list[tuple[Any, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVOCATIONS_PER_MINUTE", "1")
    get_settings.cache_clear()
    webhook = create_webhook(receiver.url + "/rate")

    ingest({"n": 1})
    ingest({"n": 2})
    deliver_queued()

    statuses = sorted(i["status"] for i in invocations(webhook["id"]))
    assert statuses == ["success", "throttled"]
    assert len(later) == 1
    assert 0 < later[0][1] <= 60


def test_a_record_that_cannot_be_recorded_is_left_to_sqs(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    from hookyard.dal.invocations import InvocationsRepository

    create_webhook(receiver.url + "/x")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "PutItem")

    monkeypatch.setattr(InvocationsRepository, "record_attempt", broken)
    ingest({"n": 1})
    [answer] = deliver_queued(max_batches=1)

    assert len(answer["batchItemFailures"]) == 1


def test_a_trigger_renders_its_liquid_body_for_matching_events(receiver: Receiver) -> None:
    from webhooks_api.handler import lambda_handler as api

    webhook = create_webhook(receiver.url + "/trigger", subscriptions=["conditional_ticket_events"])
    event = load_event("webhooks_api/create_trigger.json")
    event["body"] = json.dumps(
        {
            "trigger": {
                "title": "Urgent tickets",
                "conditions": {"all": [{"field": "ticket.priority", "operator": "is", "value": "urgent"}]},
                "actions": [
                    {
                        "field": "notification_webhook",
                        "value": [webhook["id"], '{"id": "{{ticket.id}}", "says": "{{ticket.subject}}"}'],
                    }
                ],
            }
        }
    )
    created = invoke(api, event)
    assert created["statusCode"] == 201, created["body"]

    ingest({"ticket": {"id": 7, "priority": "low", "subject": "meh"}})
    ingest({"ticket": {"id": 8, "priority": "urgent", "subject": "fire"}})
    deliver_queued()

    [request] = receiver.wait_for(1, "/trigger")
    assert request.json() == {"id": "8", "says": "fire"}
    assert base64.b64decode(request.headers["x-zendesk-webhook-signature"])


@contextmanager
def log_lines(logger: Any) -> Iterator[list[dict[str, Any]]]:
    """The JSON lines `logger` (a function's one Powertools Logger) writes meanwhile."""
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        logger.registered_handler.setStream(previous)
        lines += [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


def test_a_delivery_writes_one_json_log_line_naming_webhook_invocation_attempt_status_and_duration(
    receiver: Receiver,
) -> None:
    from delivery.log import logger

    webhook = create_webhook(receiver.url + "/logged")
    ingest({"n": 1})

    with log_lines(logger) as lines:
        deliver_queued()

    [line] = [entry for entry in lines if entry.get("message") == "delivery attempt"]
    [invocation] = invocations(webhook["id"])
    assert line["service"] == "delivery"
    assert line["level"] == "INFO"
    assert (line["webhook_id"], line["invocation_id"], line["attempt"]) == (webhook["id"], invocation["id"], 1)
    assert (line["status"], line["status_code"]) == ("success", 200)
    assert isinstance(line["duration_ms"], int)
    assert line["function_request_id"]  # the Lambda context's keys ride along


def test_a_refused_api_request_is_logged_under_its_function() -> None:
    from webhooks_api.handler import lambda_handler as api
    from webhooks_api.log import logger

    event = load_event("webhooks_api/create.json")
    event["body"] = json.dumps({"webhook": {"name": ""}})

    with log_lines(logger) as lines:
        assert invoke(api, event)["statusCode"] == 400

    [line] = [entry for entry in lines if entry.get("message") == "request invalid"]
    assert line["service"] == "webhooks_api"
    assert line["correlation_id"]
