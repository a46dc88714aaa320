"""Seeing and resending through the real handlers on moto: attempts with what was sent and
what came back, redeliver, recover, and Hookyard's own events reaching a subscribed
webhook through the router."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hookyard.webhooks import signing
from tests.e2e.receiver import Answer, Receiver
from tests.integration.conftest import body, invoke, load_event, route_queued, with_path
from tests.integration.test_delivery import (
    attempts,
    create_webhook,
    deliver_queued,
    ingest,
    invocations,
    signing_secret,
)

pytestmark = pytest.mark.usefixtures("loopback_env")


def api(name: str, payload: Any = None, **path: str) -> dict[str, Any]:
    from webhooks_api.handler import lambda_handler

    event = with_path(load_event(f"webhooks_api/{name}.json"), **path)
    if payload is not None:
        event["body"] = json.dumps(payload)
    return invoke(lambda_handler, event)


def deliver_everything() -> None:
    """Route and deliver until nothing is left (notices go through the bus and the router)."""
    for _ in range(5):
        routed = route_queued()
        delivered = deliver_queued()
        if not routed and not delivered:
            return


def test_an_attempt_shows_the_request_with_secrets_redacted_and_the_whole_response(receiver: Receiver) -> None:
    webhook = create_webhook(receiver.url + "/down")
    receiver.answer("/down", then=Answer(500, body='{"error": "down for maintenance"}'))

    ingest({"ticket": {"id": 42}})
    deliver_queued()

    [invocation] = invocations(webhook["id"])
    [attempt] = attempts(webhook["id"], invocation["id"])
    [sent] = receiver.requests
    assert invocation["status"] == "failed"
    assert invocation["status_code"] == 500
    assert attempt["request"]["payload"] == sent.body.decode()
    headers = attempt["request"]["headers"]
    assert headers["Authorization"] == "[redacted]"
    assert "sample-token-not-a-secret" not in json.dumps(attempt)
    assert headers["x-zendesk-webhook-signature"] == sent.headers["x-zendesk-webhook-signature"]
    assert attempt["response"]["payload"] == '{"error": "down for maintenance"}'
    assert attempt["response"]["truncated"] is False


def test_redeliver_sends_the_same_payload_as_a_new_signed_invocation(receiver: Receiver) -> None:
    webhook = create_webhook(receiver.url + "/flaky")
    receiver.answer("/flaky", Answer(500), then=Answer(200))
    ingest({"ticket": {"id": 7}})
    deliver_queued()
    [failed] = invocations(webhook["id"])

    response = api("redeliver", webhook_id=webhook["id"], invocation_id=failed["id"])
    deliver_queued()

    assert response["statusCode"] == 202, response["body"]
    new = body(response)["invocation"]
    assert (new["trigger"], new["redelivery_of"], new["status"]) == ("manual", failed["id"], "accepted")
    first, second = receiver.wait_for(2, "/flaky")
    assert second.body == first.body
    assert second.headers["x-zendesk-webhook-invocation-id"] == new["id"] != failed["id"]
    assert signing.verify_zendesk(
        body=second.body,
        signature=second.headers["x-zendesk-webhook-signature"],
        timestamp=second.headers["x-zendesk-webhook-signature-timestamp"],
        secret=signing_secret(webhook["id"]),
    )
    statuses = {i["id"]: i["status"] for i in invocations(webhook["id"])}
    assert statuses == {failed["id"]: "failed", new["id"]: "success"}


def test_redeliver_answers_404_409_and_400_as_documented(receiver: Receiver) -> None:
    webhook = create_webhook(receiver.url + "/x")
    receiver.answer("/x", then=Answer(500))
    ingest({"n": 1})
    deliver_queued()
    [failed] = invocations(webhook["id"])

    unknown = api("redeliver", webhook_id=webhook["id"], invocation_id="01UNKNOWN")
    api("patch", {"webhook": {"status": "inactive"}}, webhook_id=webhook["id"])
    inactive = api("redeliver", webhook_id=webhook["id"], invocation_id=failed["id"])
    api("delete", webhook_id=webhook["id"])
    deleted = api("redeliver", webhook_id=webhook["id"], invocation_id=failed["id"])

    assert unknown["statusCode"] == 404
    assert inactive["statusCode"] == 400
    assert "inactive" in body(inactive)["errors"][0]["detail"]
    assert deleted["statusCode"] == 409


def test_recover_sends_each_failed_invocation_of_the_window_again_once(receiver: Receiver) -> None:
    webhook = create_webhook(receiver.url + "/outage")
    receiver.answer("/outage", Answer(200), Answer(500), Answer(500), Answer(500), then=Answer(200))
    ingest({"n": 0})
    deliver_queued()
    since = datetime.now(UTC) - timedelta(seconds=1)
    for n in range(1, 4):
        ingest({"n": n})
    deliver_queued()

    response = api("recover", {"since": since.isoformat()}, webhook_id=webhook["id"])
    deliver_queued()

    assert response["statusCode"] == 202, response["body"]
    recovery = body(response)["recovery"]
    assert recovery["count"] == 3
    resent = [json.loads(r.body)["detail"]["n"] for r in receiver.requests[4:]]
    assert sorted(resent) == [1, 2, 3]
    shown = body(api("show_recovery", webhook_id=webhook["id"], recovery_id=recovery["id"]))["recovery"]
    assert (shown["sent"], shown["status"]) == (3, "done")
    triggers = sorted(i["trigger"] for i in invocations(webhook["id"]))
    assert triggers == ["event"] * 4 + ["recovery"] * 3


def test_recover_refuses_a_window_beyond_the_retention() -> None:
    webhook = create_webhook("http://127.0.0.1:9/none")

    response = api("recover", {"since": "2020-01-01T00:00:00Z"}, webhook_id=webhook["id"])

    assert response["statusCode"] == 400
    assert "ActivityRetentionDays" in body(response)["errors"][0]["detail"]


def test_a_webhook_subscribed_to_failures_is_told_and_never_about_itself(receiver: Receiver) -> None:
    failing = create_webhook(receiver.url + "/failing")
    watcher = create_webhook(receiver.url + "/watcher", subscriptions=["hookyard:event-type:webhook.invocation.failed"])
    receiver.answer("/failing", then=Answer(500))
    receiver.answer("/watcher", then=Answer(500))  # the watcher fails too: no notice about it

    ingest({"n": 1})
    deliver_everything()

    [notice] = receiver.wait_for(1, "/watcher")
    payload = notice.json()
    [failed] = invocations(failing["id"])
    assert payload["type"] == "hookyard:event-type:webhook.invocation.failed"
    assert payload["detail"]["webhook_id"] == failing["id"]
    assert payload["detail"]["invocation_id"] == failed["id"]
    assert payload["detail"]["status_code"] == 500
    assert len(receiver.requests) == 2
    assert [i["status"] for i in invocations(watcher["id"])] == ["failed"]
