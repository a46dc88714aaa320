"""Seeing and resending end to end on the local stack: a failed delivery's attempts show
what was sent and what came back, a watcher webhook hears of the failure, a redelivery
succeeds once the receiver recovers, and a recovery sends exactly the failures of its window."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hookyard.webhooks import signing
from tests.e2e.conftest import Dev
from tests.e2e.receiver import Answer, Receiver, running_receiver
from tests.e2e.test_webhooks_e2e import ingest, queues_idle

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def webhook(dev: Dev, url: str, subscription: str, **fields: Any) -> dict[str, Any]:
    definition = {
        "name": f"resend {subscription}",
        "endpoint": url,
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": [subscription],
        **fields,
    }
    response = dev.api("POST", "/api/v2/webhooks", dev.token, json={"webhook": definition})
    assert response.status_code == 201, response.text
    return response.json()["webhook"]  # type: ignore[no-any-return]


def invocations(dev: Dev, webhook_id: str) -> list[dict[str, Any]]:
    response = dev.api("GET", f"/api/v2/webhooks/{webhook_id}/invocations", dev.token)
    assert response.status_code == 200, response.text
    return response.json()["invocations"]  # type: ignore[no-any-return]


def settled(dev: Dev, webhook_id: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The webhook's invocations once `count` of them are final."""
    deadline = time.monotonic() + timeout
    while True:
        found = invocations(dev, webhook_id)
        final = [i for i in found if i["status"] in ("success", "failed", "terminated")]
        if len(final) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_see_tell_redeliver_and_recover(dev: Dev, receiver: Receiver) -> None:
    shop = webhook(
        dev,
        receiver.url + "/shop",
        "shop:event-type:order.Resend",
        authentication={"type": "basic_auth", "data": {"username": "hook", "password": "pw-secret"}},
    )
    watcher = webhook(dev, receiver.url + "/watch", "hookyard:event-type:webhook.invocation.failed")
    secret = dev.api("GET", f"/api/v2/webhooks/{shop['id']}/signing_secret", dev.token).json()["signing_secret"][
        "secret"
    ]
    receiver.answer("/shop", then=Answer(500, body='{"error": "maintenance"}'))

    # A delivery that fails finally, and what its attempt shows
    ingest(dev, "shop", "order.Resend", {"order": {"id": 1}})
    [failed] = settled(dev, shop["id"], 1)
    [attempt] = dev.api("GET", f"/api/v2/webhooks/{shop['id']}/invocations/{failed['id']}/attempts", dev.token).json()[
        "attempts"
    ]
    assert (failed["status"], failed["status_code"]) == ("failed", 500)
    assert json.loads(attempt["request"]["payload"])["detail"] == {"order": {"id": 1}}
    assert attempt["request"]["headers"]["Authorization"] == "[redacted]"
    assert "pw-secret" not in json.dumps(attempt)
    assert attempt["response"]["payload"] == '{"error": "maintenance"}'
    assert attempt["response"]["headers"]

    # The watcher hears of it
    [notice] = receiver.wait_for(1, "/watch")
    assert notice.json()["detail"]["invocation_id"] == failed["id"]
    assert notice.json()["detail"]["status_code"] == 500

    # The receiver recovers: a redelivery sends the same payload, signed
    receiver.answer("/shop", then=Answer(200))
    redelivered = dev.api("POST", f"/api/v2/webhooks/{shop['id']}/invocations/{failed['id']}/redeliver", dev.token)
    assert redelivered.status_code == 202, redelivered.text
    first, second = receiver.wait_for(2, "/shop")
    assert second.body == first.body
    assert second.headers["x-zendesk-webhook-invocation-id"] == redelivered.json()["invocation"]["id"]
    assert signing.verify_zendesk(
        body=second.body,
        signature=second.headers["x-zendesk-webhook-signature"],
        timestamp=second.headers["x-zendesk-webhook-signature-timestamp"],
        secret=secret,
    )

    # Three more failures, then a recovery of them alone
    since = datetime.now(UTC) - timedelta(milliseconds=200)
    receiver.answer("/shop", then=Answer(500))
    for n in (2, 3, 4):
        ingest(dev, "shop", "order.Resend", {"order": {"id": n}})
    settled(dev, shop["id"], 5)
    queues_idle(dev)
    receiver.answer("/shop", then=Answer(200))
    before = len(receiver.requests)
    recovery = dev.api("POST", f"/api/v2/webhooks/{shop['id']}/recover", dev.token, json={"since": since.isoformat()})
    assert recovery.status_code == 202, recovery.text
    assert recovery.json()["recovery"]["count"] == 3
    settled(dev, shop["id"], 8)
    queues_idle(dev)

    resent = [r for r in receiver.requests[before:] if r.path == "/shop"]
    assert sorted(json.loads(r.body)["detail"]["order"]["id"] for r in resent) == [2, 3, 4]
    assert sorted(i["trigger"] for i in invocations(dev, shop["id"])) == ["event"] * 4 + ["manual"] + ["recovery"] * 3
    assert len(receiver.wait_for(4, "/watch")) == 4  # the first failure and the three of the outage
    assert [i["status"] for i in settled(dev, watcher["id"], 4)] == ["success"] * 4
