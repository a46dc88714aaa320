"""Outbound webhooks end to end on the local stack: an event ingested over HTTP, routed
by the bus to the delivery queue, polled like Lambda's event source mapping, delivered
signed to a receiver that verifies it as a Zendesk receiver and as a Standard Webhooks
receiver would, and visible through the invocations API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook as StandardWebhook

from tests.e2e.conftest import Dev
from tests.e2e.receiver import Answer, Receiver, running_receiver

pytestmark = pytest.mark.e2e


def verify_signature(payload: str, signature: str, timestamp: str, secret: str) -> bool:
    """Zendesk's published Python example (zendesk-webhook-payload-format), verbatim."""
    message = timestamp + payload
    computed = base64.b64encode(
        hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    ).decode("utf-8")
    return hmac.compare_digest(computed, signature)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def create_webhook(dev: Dev, url: str, source: str, event_type: str) -> dict[str, Any]:
    response = dev.api(
        "POST",
        "/api/v2/webhooks",
        dev.token,
        json={
            "webhook": {
                "name": f"e2e {source}",
                "endpoint": url,
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": [f"{source}:event-type:{event_type}"],
                "authentication": {
                    "type": "basic_auth",
                    "data": {"username": "hook", "password": "s3cret-pw"},
                    "add_position": "header",
                },
            }
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["webhook"]  # type: ignore[no-any-return]


def ingest(dev: Dev, source: str, event_type: str, body: Any) -> None:
    inbound = dev.api(
        "POST",
        "/api/services/zis/inbound_webhooks/generic/e2e_out",
        dev.token,
        json={"source_system": source, "event_type": event_type},
    ).json()
    response = requests.post(
        dev.url + inbound["path"], auth=(inbound["username"], inbound["password"]), json=body, timeout=30
    )
    assert response.status_code == 200


def invocations(dev: Dev, webhook_id: str, until: str, timeout: float = 30) -> list[dict[str, Any]]:
    """The webhook's invocations once one has reached the status `until`."""
    deadline = time.monotonic() + timeout
    while True:
        found = dev.api("GET", f"/api/v2/webhooks/{webhook_id}/invocations", dev.token).json()["invocations"]
        if any(i["status"] == until for i in found) or time.monotonic() > deadline:
            return found  # type: ignore[no-any-return]
        time.sleep(0.2)


def test_a_delivery_is_signed_authenticated_and_logged(dev: Dev, receiver: Receiver) -> None:
    webhook = create_webhook(dev, receiver.url + "/ok", "shop", "order.Paid")
    secret = dev.api("GET", f"/api/v2/webhooks/{webhook['id']}/signing_secret", dev.token).json()["signing_secret"][
        "secret"
    ]

    ingest(dev, "shop", "order.Paid", {"order": {"id": 7, "total": 12.5}})

    [request] = receiver.wait_for(1, "/ok")
    headers = request.headers
    assert verify_signature(
        request.body.decode(),
        headers["x-zendesk-webhook-signature"],
        headers["x-zendesk-webhook-signature-timestamp"],
        secret,
    )
    StandardWebhook("whsec_" + secret).verify(request.body, headers)
    assert headers["authorization"] == "Basic " + base64.b64encode(b"hook:s3cret-pw").decode()
    assert request.json()["type"] == "shop:event-type:order.Paid"
    assert request.json()["detail"] == {"order": {"id": 7, "total": 12.5}}
    [invocation] = invocations(dev, webhook["id"], until="success")
    assert invocation["status"] == "success"
    attempts = dev.api(
        "GET", f"/api/v2/webhooks/{webhook['id']}/invocations/{invocation['id']}/attempts", dev.token
    ).json()["attempts"]
    assert [a["status_code"] for a in attempts] == [200]


def test_429_with_retry_after_is_retried_after_it(dev: Dev, receiver: Receiver) -> None:
    webhook = create_webhook(dev, receiver.url + "/busy", "shop", "order.Busy")
    receiver.answer("/busy", Answer(429, headers={"Retry-After": "1"}), then=Answer(200))

    ingest(dev, "shop", "order.Busy", {"n": 1})

    first, second = receiver.wait_for(2, "/busy")
    assert second.at - first.at >= 1.0
    assert first.headers["x-zendesk-webhook-invocation-id"] == second.headers["x-zendesk-webhook-invocation-id"]
    assert invocations(dev, webhook["id"], until="success")[0]["status"] == "success"


def test_503_with_a_long_retry_after_and_500_are_final(dev: Dev, receiver: Receiver) -> None:
    webhook = create_webhook(dev, receiver.url + "/down", "shop", "order.Down")
    receiver.answer("/down", Answer(503, headers={"Retry-After": "120"}), Answer(500))

    ingest(dev, "shop", "order.Down", {"n": 1})
    ingest(dev, "shop", "order.Down", {"n": 2})

    receiver.wait_for(2, "/down")
    invocations(dev, webhook["id"], until="failed")
    time.sleep(1.5)  # nothing further arrives
    found = dev.api("GET", f"/api/v2/webhooks/{webhook['id']}/invocations", dev.token).json()["invocations"]
    assert len(receiver.requests) == 2
    assert [i["status"] for i in found] == ["failed", "failed"]
    assert sorted(i["status_code"] for i in found) == [500, 503]


def test_410_gone_deactivates_the_webhook(dev: Dev, receiver: Receiver) -> None:
    webhook = create_webhook(dev, receiver.url + "/gone", "shop", "order.Gone")
    receiver.answer("/gone", then=Answer(410))

    ingest(dev, "shop", "order.Gone", {"n": 1})
    receiver.wait_for(1, "/gone")

    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        status = dev.api("GET", f"/api/v2/webhooks/{webhook['id']}", dev.token).json()["webhook"]["status"]
        if status == "inactive":
            break
        time.sleep(0.2)
    assert status == "inactive"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v2/webhooks"),
        ("PATCH", "/api/v2/webhooks/01J0000000000000000000000A"),
        ("POST", "/api/v2/triggers"),
        ("POST", "/api/services/zis/registry/e2e_bytes"),
        ("POST", "/api/admin/accounts"),
    ],
)
def test_a_body_that_is_not_utf8_is_a_400_not_a_500(dev: Dev, method: str, path: str) -> None:
    token = dev.operator_token if path.startswith("/api/admin") else dev.token

    response = dev.api(method, path, token, data=b"\xff\xfe{", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert "not valid JSON" in response.text


def queues_idle(dev: Dev, timeout: float = 30) -> None:
    """Wait until the routing and delivery queues hold nothing, in flight or visible."""
    sqs = dev.client("sqs")
    urls = [u for u in sqs.list_queues()["QueueUrls"] if "Routing" in u or "Delivery" in u]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = [sqs.get_queue_attributes(QueueUrl=u, AttributeNames=names)["Attributes"] for u in urls]
        if all(int(c[n]) == 0 for c in counts for n in names):
            return
        time.sleep(0.2)
    raise AssertionError("the queues did not drain")


def test_a_trigger_notifies_only_for_events_its_conditions_hold_for(dev: Dev, receiver: Receiver) -> None:
    created = dev.api(
        "POST",
        "/api/v2/webhooks",
        dev.token,
        json={
            "webhook": {
                "name": "e2e trigger",
                "endpoint": receiver.url + "/urgent",
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": ["conditional_ticket_events"],
            }
        },
    )
    assert created.status_code == 201, created.text
    webhook_id = created.json()["webhook"]["id"]
    trigger = dev.api(
        "POST",
        "/api/v2/triggers",
        dev.token,
        json={
            "trigger": {
                "title": "Urgent orders",
                "conditions": {
                    "all": [
                        {"field": "type", "operator": "is", "value": "shop:event-type:order.Flagged"},
                        {"field": "order.priority", "operator": "is", "value": "urgent"},
                    ]
                },
                "actions": [{"field": "notification_webhook", "value": [webhook_id, '{"order": {{order.id}}}']}],
            }
        },
    )
    assert trigger.status_code == 201, trigger.text

    ingest(dev, "shop", "order.Flagged", {"order": {"id": 1, "priority": "low"}})
    ingest(dev, "shop", "order.Flagged", {"order": {"id": 2, "priority": "urgent"}})
    [request] = receiver.wait_for(1, "/urgent")
    queues_idle(dev)

    assert request.json() == {"order": 2}
    assert len(receiver.requests) == 1
    found = dev.api("GET", f"/api/v2/webhooks/{webhook_id}/invocations", dev.token).json()["invocations"]
    assert [i["status"] for i in found] == ["success"]
