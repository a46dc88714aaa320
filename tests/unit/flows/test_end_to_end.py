"""Whole flows from validated bundles, with actions rendered as the runner will render them."""

from __future__ import annotations

import json
from typing import Any

from hookyard.flows.actions import RenderedRequest
from hookyard.flows.bundle import validate_bundle
from hookyard.flows.engine import ActionError, Succeeded, run_flow
from tests.unit.flows.bundles import real_world_bundle, tutorial_bundle
from tests.unit.flows.fakes import FakeClock, HttpExecutor, fixed_now

TICKET_CREATED = {
    "ticket_event": {
        "type": "Ticket Created",
        "ticket": {"id": 35436, "status": "new", "priority": "urgent", "subject": "Help"},
    }
}


def test_the_tutorial_flow_posts_the_ticket_status_and_priority_to_the_webhook() -> None:
    # Given the tutorial bundle and a Ticket Created event, as ZIS hands it to the flow
    bundle = validate_bundle(tutorial_bundle(), "my_integration")
    data = {"account_id": 1, "integration_key": "my_integration", "subdomain": "acme", "input": TICKET_CREATED}
    executor = HttpExecutor(bundle.actions, "my_integration", respond=lambda request: {"ok": True})

    # When the flow runs
    result = run_flow(bundle.flows["post_tickets_to_webhook_flow"], data, executor, clock=FakeClock(), now=fixed_now)

    # Then it made one request: the webhook URL, the ticket id header (ticketId.$ is "$",
    # the whole flow input, shown as JSON text) and the status and priority body
    assert isinstance(result.outcome, Succeeded)
    [(name, request)] = executor.requests
    assert name == "post-to-webhook-site"
    assert request.method == "POST"
    assert request.url == "https://webhook.site/6f1c2b1e-1111-4a2b-9c3d-000000000000"
    assert request.connection_name is None
    [(header, value)] = request.headers
    assert header == "X-Zendesk-Ticket-Id"
    assert json.loads(value) == data
    assert request.body == {"webhook": {"status": "new", "priority": "urgent"}}
    assert [step.key for step in result.steps] == ["1:Zendesk.TicketCreated"]


def test_the_real_world_ping_flow_creates_a_ticket_from_the_partner_request() -> None:
    # Given the TSANet bundle, a collaboration ping, and partner/Zendesk APIs that know
    # the request but no ticket for it yet
    bundle = validate_bundle(real_world_bundle(), "tsanet_connect")
    collaboration = {
        "token": "tok-1",
        "submitCompanyName": "Acme",
        "priority": "HIGH",
        "description": "Disk full",
        "summary": "Storage",
        "status": "OPEN",
        "submitterContactDetails": {"name": "Sam", "email": "sam@acme.example"},
        "customFields": [{"fieldName": "Serial", "value": " 123 ", "displayOrder": 1}],
    }

    def respond(request: RenderedRequest) -> Any:
        if request.url and request.url.endswith("/collaboration-requests/tok-1"):
            return collaboration
        if request.path == "/api/v2/tickets.json?external_id=tok-1":
            return {"count": 0, "tickets": []}
        if request.method == "POST" and request.path == "/api/v2/tickets.json":
            return {"ticket": {"id": 501}}
        raise ActionError("States.Runtime", "external action failed due to status code: 404", status=404)

    executor = HttpExecutor(bundle.actions, "tsanet_connect", respond)
    data = {
        "account_id": 1,
        "integration_key": "tsanet_connect",
        "subdomain": "acme",
        "input": {"eventType": "collaboration-request.created", "requestToken": "tok-1"},
    }

    # When the flow runs
    result = run_flow(bundle.flows["flow_handle_ping"], data, executor, clock=FakeClock(), now=fixed_now)

    # Then it fetched, searched, built the submitter lines with jq and created the ticket
    assert isinstance(result.outcome, Succeeded)
    assert [name for name, _ in executor.requests] == [
        "action_get_collaboration",
        "action_search_ticket",
        "action_create_ticket",
    ]
    get, _, create = (request for _, request in executor.requests)
    assert get.connection_name == "tsanet_oauth"
    assert get.headers == [("Accept", "application/json, application/problem+json")]
    assert create.connection_name == "zendesk"
    ticket = create.body["ticket"]
    assert ticket["subject"] == "TSANet Inbound from Acme: Storage"
    assert ticket["external_id"] == "tok-1"
    assert ticket["custom_fields"][0] == {"id": 1234567890, "value": "tok-1"}
    assert ticket["description"] == (
        "Inbound TSANet Collaboration Request received.\n\nFrom: Acme\nSubmitter: Sam <sam@acme.example>\n"
        "Priority: HIGH\nToken: tok-1\n\nDisk full\n\nPartner form fields:\nSerial: 123"
    )
    assert ticket["comment"]["author_id"] == 1234567896
    # auto_accept is "AUTO_ACCEPT_MODE", not "on": the flow ends at NoOp.
    assert result.steps[-1].name == "NoOp"
    assert result.outcome.output["created"] == {"ticket": {"id": 501}}
