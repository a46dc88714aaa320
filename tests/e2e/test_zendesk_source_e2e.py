"""A Zendesk source end to end on the local stack: the test plays Zendesk (signs and posts
a zen:event-type:ticket.created payload to the source's URL) and the tutorial bundle,
unchanged but for its integration name and URL, runs on it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.conftest import EVENTS
from tests.e2e.conftest import Dev, drain
from tests.e2e.receiver import Receiver, running_receiver
from tests.e2e.test_flows_e2e import REGISTRY, tutorial_bundle

pytestmark = pytest.mark.e2e
SECRET = "e2e-zendesk-signing-secret-not-a-secret"
ZENDESK_ACCOUNT = 22129848


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def play_zendesk(
    dev: Dev,
    source: dict[str, Any],
    payload: dict[str, Any],
    *,
    secret: str = SECRET,
    signed_at: datetime | None = None,
    account: int = ZENDESK_ACCOUNT,
) -> requests.Response:
    """POST `payload` as Zendesk's webhook does: JSON, signed over timestamp + raw body."""
    text = json.dumps(payload)
    timestamp = (signed_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = base64.b64encode(
        hmac.new(secret.encode(), timestamp.encode() + text.encode(), hashlib.sha256).digest()
    ).decode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Zendesk Webhook",
        "X-Zendesk-Account-Id": str(account),
        "X-Zendesk-Webhook-Id": "01F1KRFQ6BG29CNWFR60NK5FNY",
        "X-Zendesk-Webhook-Invocation-Id": "8350205582",
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Signature": signature,
    }
    return requests.post(dev.url + source["path"], data=text.encode(), headers=headers, timeout=30)


def test_a_ticket_created_in_zendesk_runs_the_tutorial_flow(dev: Dev, receiver: Receiver) -> None:
    # Given the tutorial's integration, bundle and installed job spec (support / ticket.TicketCreated)
    integration = "zendesk_tutorial_e2e"
    assert dev.api("POST", f"{REGISTRY}/{integration}", dev.token, json={"description": "tutorial"}).status_code == 201
    bundle = tutorial_bundle(integration, receiver.url + "/tutorial")
    assert dev.api("POST", f"{REGISTRY}/{integration}/bundles", dev.token, json=bundle).status_code == 200
    installed = dev.api(
        "POST",
        f"{REGISTRY}/job_specs/install",
        dev.token,
        params={"job_spec_name": f"zis:{integration}:job_spec:ticket_created_jobspec"},
    )
    assert installed.status_code == 200, installed.text
    # and a Zendesk source for the integration
    created = dev.api(
        "POST",
        f"/api/services/zis/inbound_webhooks/zendesk/{integration}",
        dev.token,
        json={"subdomain": "acme", "zendesk_account_id": ZENDESK_ACCOUNT, "signing_secret": SECRET},
    )
    assert created.status_code == 201, created.text
    source = created.json()

    # When Zendesk posts a new ticket to the source's URL
    payload = json.loads((EVENTS / "zendesk" / "ticket.created.json").read_text())
    response = play_zendesk(dev, source, payload)

    # Then it is accepted, and the flow posts what its JSONPaths select to the receiver
    assert response.status_code == 200, response.text
    assert response.text == "null"
    [received] = receiver.wait_for(1, "/tutorial")
    assert received.method == "POST"
    assert received.json() == {"webhook": {"status": "open", "priority": "low"}}
    assert "x-zendesk-ticket-id" in received.headers


def test_a_bad_signature_an_old_timestamp_and_a_foreign_account_publish_nothing(dev: Dev, bus_tap: str) -> None:
    # Given a Zendesk source
    integration = "zendesk_refusals_e2e"
    source = dev.api(
        "POST",
        f"/api/services/zis/inbound_webhooks/zendesk/{integration}",
        dev.token,
        json={"subdomain": "acme", "zendesk_account_id": ZENDESK_ACCOUNT, "signing_secret": SECRET},
    ).json()
    payload = json.loads((EVENTS / "zendesk" / "ticket.created.json").read_text())
    drain(dev, bus_tap)  # what earlier tests published

    # When Zendesk's request is forged, replayed late, or from another account
    forged = play_zendesk(dev, source, payload, secret="not-the-secret")
    late = play_zendesk(dev, source, payload, signed_at=datetime.now(UTC) - timedelta(minutes=10))
    foreign = play_zendesk(dev, source, payload, account=1)
    # and then a genuine one arrives
    genuine = play_zendesk(dev, source, {**payload, "id": "genuine-e2e-event"})

    # Then each refusal is a 401 naming its check, and only the genuine event is on the bus
    assert [r.status_code for r in (forged, late, foreign, genuine)] == [401, 401, 401, 200]
    assert "signature" in forged.json()["errors"][0]["detail"]
    assert "s old" in late.json()["errors"][0]["detail"]
    assert "x-zendesk-account-id" in foreign.json()["errors"][0]["detail"]
    published = [e for e in drain(dev, bus_tap) if e["detail"].get("integration") == integration]
    assert [e["detail"]["zendesk"]["event_id"] for e in published] == ["genuine-e2e-event"]
