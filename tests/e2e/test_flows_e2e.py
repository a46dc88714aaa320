"""ZIS flows end to end on the local stack: the tutorial's bundle, verbatim but for its
integration name and URL, reacting to an event ingested through an inbound webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.conftest import Dev
from tests.e2e.receiver import Answer, Receiver, running_receiver

pytestmark = pytest.mark.e2e
REGISTRY = "/api/services/zis/registry"


def tutorial_bundle(integration: str, url: str) -> dict[str, Any]:
    text = (ROOT / "tests/fixtures/tutorial_bundle.json").read_text()
    bundle: dict[str, Any] = json.loads(text.replace("<YOUR_INTEGRATION>", integration))
    bundle["resources"]["post-to-webhook-site"]["properties"]["definition"]["url"] = url
    return bundle


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def ingest(dev: Dev, webhook: dict[str, Any], body: Any) -> requests.Response:
    return requests.post(
        dev.url + webhook["path"], auth=(webhook["username"], webhook["password"]), json=body, timeout=30
    )


def test_the_tutorial_bundle_posts_ticket_created_events_to_the_receiver(dev: Dev, receiver: Receiver) -> None:
    # Given the tutorial's integration, bundle and installed job spec
    integration = "tutorial_e2e"
    assert dev.api("POST", f"{REGISTRY}/{integration}", dev.token, json={"description": "tutorial"}).status_code == 201
    uploaded = dev.api(
        "POST",
        f"{REGISTRY}/{integration}/bundles",
        dev.token,
        json=tutorial_bundle(integration, receiver.url + "/tutorial"),
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.text == ""
    installed = dev.api(
        "POST",
        f"{REGISTRY}/job_specs/install",
        dev.token,
        params={"job_spec_name": f"zis:{integration}:job_spec:ticket_created_jobspec"},
    )
    assert installed.status_code == 200, installed.text
    # and an inbound webhook that turns requests into support / ticket.TicketCreated events
    webhook = dev.api(
        "POST",
        f"/api/services/zis/inbound_webhooks/generic/{integration}",
        dev.token,
        json={"source_system": "support", "event_type": "ticket.TicketCreated"},
    ).json()

    # When a ticket-created body is ingested
    response = ingest(dev, webhook, {"ticket_event": {"ticket": {"id": 35436, "status": "open", "priority": "high"}}})

    # Then the flow posts the status and priority, with the ticket header, to the receiver
    assert response.status_code == 200
    [received] = receiver.wait_for(1, "/tutorial")
    assert received.method == "POST"
    assert received.json() == {"webhook": {"status": "open", "priority": "high"}}
    assert "x-zendesk-ticket-id" in received.headers
    # and the execution is in the integration's logs
    logs = dev.api("GET", f"/api/services/zis/integrations/{integration}/logs", dev.token).json()["logs"]
    assert any(entry["message"] == "Execution Successful" for entry in logs) or _eventually_succeeded(dev, integration)


def _eventually_succeeded(dev: Dev, integration: str) -> bool:
    import time

    for _ in range(50):
        logs = dev.api("GET", f"/api/services/zis/integrations/{integration}/logs", dev.token).json()["logs"]
        if any(entry["message"] == "Execution Successful" for entry in logs):
            return True
        time.sleep(0.1)
    return False


def test_events_of_another_type_or_integration_do_not_run_the_flow(dev: Dev, receiver: Receiver) -> None:
    integration = "tutorial_other"
    dev.api("POST", f"{REGISTRY}/{integration}", dev.token, json={})
    dev.api(
        "POST",
        f"{REGISTRY}/{integration}/bundles",
        dev.token,
        json=tutorial_bundle(integration, receiver.url + "/other"),
    )
    dev.api(
        "POST",
        f"{REGISTRY}/job_specs/install",
        dev.token,
        params={"job_spec_name": f"zis:{integration}:job_spec:ticket_created_jobspec"},
    )
    wrong_type = dev.api(
        "POST",
        f"/api/services/zis/inbound_webhooks/generic/{integration}",
        dev.token,
        json={"source_system": "support", "event_type": "ticket.Updated"},
    ).json()
    wrong_integration = dev.api(
        "POST",
        "/api/services/zis/inbound_webhooks/generic/elsewhere",
        dev.token,
        json={"source_system": "support", "event_type": "ticket.TicketCreated"},
    ).json()
    receiver.answer("/other", Answer(200))

    ingest(dev, wrong_type, {"ticket_event": {"ticket": {"status": "open"}}})
    ingest(dev, wrong_integration, {"ticket_event": {"ticket": {"status": "open"}}})

    with pytest.raises(AssertionError):
        receiver.wait_for(1, "/other", timeout=3)
