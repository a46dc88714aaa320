"""The ZIS registry and the flow runner through their real handlers on moto: bundles,
installed job specs routed by the router, and flows run from the flow queue against a
receiver."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from hookyard_dev.poller import sqs_event
from tests.conftest import ROOT
from tests.e2e.receiver import Answer, Receiver
from tests.integration.conftest import basic, body, invoke, load_event, route_queued, routes_of, with_path, with_query

INTEGRATION = "my_integration"
JOB_SPEC = f"zis:{INTEGRATION}:job_spec:ticket_created_jobspec"
TICKET = {"ticket_event": {"ticket": {"id": 35436, "status": "open", "priority": "high"}}}
REAL_WORLD = Path("/work/shared/reference/real-world-bundle-tsanet.json")


pytestmark = pytest.mark.usefixtures("loopback_env")


def registry(name: str, **params: str) -> dict[str, Any]:
    from registry_api.handler import lambda_handler

    event = load_event(f"registry_api/{name}.json")
    if params:
        with_path(event, **params)
    return invoke(lambda_handler, event)


def upload(bundle: dict[str, Any], integration: str = INTEGRATION) -> dict[str, Any]:
    from registry_api.handler import lambda_handler

    event = with_path(load_event("registry_api/upload_bundle.json"), integration=integration)
    event["body"] = json.dumps(bundle)
    return invoke(lambda_handler, event)


def install(job_spec: str = JOB_SPEC, method: str = "install") -> dict[str, Any]:
    from registry_api.handler import lambda_handler

    event = with_query(load_event(f"registry_api/{method}_job_spec.json"), {"job_spec_name": job_spec})
    return invoke(lambda_handler, event)


def tutorial(url: str, integration: str = INTEGRATION) -> dict[str, Any]:
    text = (ROOT / "tests/fixtures/tutorial_bundle.json").read_text().replace("<YOUR_INTEGRATION>", integration)
    bundle: dict[str, Any] = json.loads(text)
    bundle["resources"]["post-to-webhook-site"]["properties"]["definition"]["url"] = url
    return bundle


def ingest(source: str, event_type: str, payload: Any, integration: str = INTEGRATION) -> None:
    from inbound_webhooks_api.handler import lambda_handler as inbound_api
    from ingest.handler import lambda_handler as ingest_handler

    create = with_path(load_event("inbound_webhooks_api/create.json"), integration=integration)
    create["body"] = json.dumps({"source_system": source, "event_type": event_type})
    inbound = body(invoke(inbound_api, create))
    event = load_event("ingest/json_body.json")
    event["pathParameters"]["token"] = inbound["path"].rsplit("/", 1)[1]
    event["headers"]["Authorization"] = basic(inbound["username"], inbound["password"])
    event["body"] = json.dumps(payload)
    assert invoke(ingest_handler, event)["statusCode"] == 200
    route_queued()


def run_flow_queue(rounds: int = 10) -> int:
    """The flow runner on what the flow queue holds, as Lambda's event source mapping
    would run it, ignoring SQS delays (a test does not wait out a Wait state)."""
    from flow_runner.handler import lambda_handler as runner

    sqs, url, handled = boto3.client("sqs"), os.environ["FLOW_QUEUE_URL"], 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5).get("Messages", [])
        if not messages:
            # Delayed messages (Waits, retries) are not visible yet: run them now.
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
            if attributes["Attributes"].get("ApproximateNumberOfMessagesDelayed", "0") == "0":
                return handled
            sqs.purge_queue(QueueUrl=url)
            return handled
        answer = invoke(runner, sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:FlowQueue"))
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        assert not failed, answer
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
        handled += len(messages)
    return handled


def setup_tutorial(receiver: Receiver) -> None:
    assert registry("create_integration")["statusCode"] == 201
    uploaded = upload(tutorial(receiver.url + "/tutorial"))
    assert uploaded["statusCode"] == 200, uploaded["body"]
    assert install()["statusCode"] == 200


# ---------------------------------------------------------------- registry


def test_integrations_are_created_once_and_listed() -> None:
    created = registry("create_integration")
    again = registry("create_integration")
    listed = body(registry("list_integrations"))

    assert created["statusCode"] == 201
    assert again["statusCode"] == 409
    assert [i["name"] for i in listed["integrations"]] == [INTEGRATION]


def test_a_bundle_for_an_unknown_integration_is_a_404() -> None:
    assert upload(tutorial("https://example.com/x"))["statusCode"] == 404


def test_the_tutorial_bundle_uploads_with_an_empty_200_and_is_listed_and_shown() -> None:
    registry("create_integration")

    uploaded = upload(tutorial("https://example.com/x"))
    listed = body(registry("list_bundles"))
    [summary] = listed["bundles"]
    shown = body(registry("show_bundle", integration=INTEGRATION, uuid=summary["uuid"]))

    assert uploaded["statusCode"] == 200
    assert uploaded["body"] == ""
    assert summary["name"] == "post_tickets_to_webhook"
    assert listed["meta"]["has_more"] is False
    assert shown["bundle"]["resources"]["post_tickets_to_webhook_flow"]["type"] == "ZIS::Flow"


def test_the_real_world_bundle_uploads_unchanged() -> None:
    registry("create_integration", integration="tsanet_connect")

    uploaded = upload(json.loads(REAL_WORLD.read_text()), integration="tsanet_connect")
    specs = body(registry("list_job_specs", integration="tsanet_connect"))["job_specs"]

    assert uploaded["statusCode"] == 200, uploaded["body"]
    assert {s["name"] for s in specs} == {"jobspec_handle_ping", "jobspec_field_action", "jobspec_forward_comment"}
    assert not any(s["installed"] for s in specs)


def test_a_bad_bundle_is_a_400_naming_each_resource_and_path_and_stores_nothing() -> None:
    registry("create_integration")
    bundle = tutorial("https://example.com/x")
    flow = bundle["resources"]["post_tickets_to_webhook_flow"]["properties"]["definition"]
    flow["States"]["Zendesk.TicketCreated"]["ActionName"] = f"zis:{INTEGRATION}:action:missing"
    flow["States"]["Extra"] = {"Type": "Parallel", "End": True}

    response = upload(bundle)

    assert response["statusCode"] == 400
    details = [e["detail"] for e in body(response)["errors"]]
    assert len(details) >= 2
    assert all(e["code"] == "1010" for e in body(response)["errors"])
    assert any("post_tickets_to_webhook_flow" in d and "missing" in d for d in details)
    assert any("Parallel" in d for d in details)
    assert body(registry("list_bundles"))["bundles"] == []


def test_a_bundle_too_large_to_store_is_a_400_naming_the_limit_and_stores_nothing() -> None:
    # Given a valid bundle whose resources are 450 KB of JSON (a DynamoDB item holds 400 KB:
    # storing it answered 500)
    registry("create_integration")
    bundle = tutorial("https://example.com/x")
    flow = bundle["resources"]["post_tickets_to_webhook_flow"]["properties"]["definition"]
    flow["States"]["Big"] = {"Type": "Pass", "Result": "x" * 450_000, "Next": "Zendesk.TicketCreated"}
    flow["StartAt"] = "Big"

    # When it is uploaded
    response = upload(bundle)

    # Then it is refused, saying how large it is and what fits, and nothing is stored
    assert response["statusCode"] == 400
    [error] = body(response)["errors"]
    assert re.fullmatch(
        r"resources: the bundle's resources are 45\d{4} bytes of JSON; a bundle holds at most 358400 bytes",
        error["detail"],
    )
    assert body(registry("list_bundles"))["bundles"] == []
    assert body(registry("list_job_specs", integration=INTEGRATION))["job_specs"] == []


def job_spec_routes(name: str = "ticket_created_jobspec") -> list[dict[str, Any]]:
    return routes_of(f"J#{INTEGRATION}#{name}")


def test_installing_a_job_spec_routes_its_source_and_type_to_its_flow() -> None:
    registry("create_integration")
    upload(tutorial("https://example.com/x"))

    first, second = install(), install()

    assert first["statusCode"] == 200
    assert second["statusCode"] == 409
    [route] = job_spec_routes()
    assert route["PK"] == "ROUTE#1#support:event-type:ticket.TicketCreated"
    assert (route["kind"], route["integration"], route["job_spec"]) == (
        "job_spec",
        INTEGRATION,
        "ticket_created_jobspec",
    )
    assert body(registry("list_job_specs", integration=INTEGRATION))["job_specs"][0]["installed"] is True
    bus_rules = boto3.client("events").list_rules(EventBusName="hookyard")["Rules"]
    assert [r["Name"] for r in bus_rules] == ["hookyard-dev-routing"]


def test_unknown_or_malformed_job_spec_names_are_404_and_400() -> None:
    registry("create_integration")
    upload(tutorial("https://example.com/x"))

    assert install(f"zis:{INTEGRATION}:job_spec:nope")["statusCode"] == 404
    assert install("not-a-name")["statusCode"] == 400


def test_uninstalling_removes_the_route_and_the_next_event_runs_nothing() -> None:
    registry("create_integration")
    upload(tutorial("https://example.com/x"))
    install()

    response = install(method="uninstall")
    ingest("support", "ticket.TicketCreated", TICKET)

    assert response["statusCode"] == 204
    assert job_spec_routes() == []
    assert run_flow_queue() == 0
    assert install(method="uninstall")["statusCode"] == 404


def test_a_reupload_that_changes_the_type_moves_the_route() -> None:
    registry("create_integration")
    bundle = tutorial("https://example.com/x")
    upload(bundle)
    install()
    bundle["resources"]["ticket_created_jobspec"]["properties"]["event_type"] = "ticket.TicketUpdated"

    upload(bundle)

    assert [r["PK"] for r in job_spec_routes()] == ["ROUTE#1#support:event-type:ticket.TicketUpdated"]


def test_a_reupload_that_drops_a_job_spec_uninstalls_it() -> None:
    registry("create_integration")
    bundle = tutorial("https://example.com/x")
    upload(bundle)
    install()
    del bundle["resources"]["ticket_created_jobspec"]

    upload(bundle)

    assert job_spec_routes() == []
    assert body(registry("list_job_specs", integration=INTEGRATION))["job_specs"] == []


# ---------------------------------------------------------------- flows


def test_an_ingested_ticket_runs_the_tutorial_flow_and_posts_to_the_receiver(receiver: Receiver) -> None:
    setup_tutorial(receiver)

    ingest("support", "ticket.TicketCreated", TICKET)
    run_flow_queue()

    [request] = receiver.wait_for(1, "/tutorial")
    assert request.json() == {"webhook": {"status": "open", "priority": "high"}}
    assert "x-zendesk-ticket-id" in request.headers
    logs = body(registry("list_logs"))["logs"]
    assert any(entry["message"] == "Execution Successful" for entry in logs)  # what ZIS logs after End: true
    execution_id = logs[0]["execution_id"]
    execution = body(registry("show_execution", integration=INTEGRATION, execution_id=execution_id))["execution"]
    assert execution["status"] == "succeeded"
    assert [s["name"] for s in execution["steps"]] == ["Zendesk.TicketCreated"]


def test_one_outbound_client_serves_every_message_of_a_container(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a guarded client whose calls note which client made them (building one makes an
    # SSL context, about 23 ms of CPU: it used to be built for every record)
    from hookyard.outbound import OutboundClient, OutboundResponse

    setup_tutorial(receiver)
    clients: list[OutboundClient] = []  # the clients themselves: ids of freed ones repeat
    real_request = OutboundClient.request

    def noting(self: OutboundClient, method: str, url: str, **kwargs: Any) -> OutboundResponse:
        clients.append(self)
        return real_request(self, method, url, **kwargs)

    monkeypatch.setattr(OutboundClient, "request", noting)

    # When two events run the flow, in two invocations
    for ticket_id in (1, 2):
        ingest(
            "support",
            "ticket.TicketCreated",
            {"ticket_event": {"ticket": {**TICKET["ticket_event"]["ticket"], "id": ticket_id}}},
        )
        run_flow_queue()

    # Then both calls went out through the same client
    assert len(receiver.wait_for(2, "/tutorial")) == 2
    assert len(clients) == 2
    assert clients[0] is clients[1]


def test_events_of_another_integration_do_not_reach_the_job_spec(receiver: Receiver) -> None:
    setup_tutorial(receiver)

    ingest("support", "ticket.TicketCreated", TICKET, integration="other_integration")

    assert run_flow_queue() == 0
    assert receiver.requests == []


def test_a_5xx_unhandled_by_catch_retries_the_whole_flow(receiver: Receiver) -> None:
    setup_tutorial(receiver)
    receiver.answer("/tutorial", Answer(503), then=Answer(200))

    ingest("support", "ticket.TicketCreated", TICKET)
    from flow_runner.handler import lambda_handler as runner

    sqs, url = boto3.client("sqs"), os.environ["FLOW_QUEUE_URL"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    invoke(runner, sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:FlowQueue"))
    logs = body(registry("list_logs"))["logs"]

    assert any("retrying the flow" in entry["message"] for entry in logs)
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])["Attributes"][
            "ApproximateNumberOfMessagesDelayed"
        ]
        == "1"
    )


def test_a_redelivered_message_does_not_repeat_a_completed_action(receiver: Receiver) -> None:
    from flow_runner.handler import lambda_handler as runner

    setup_tutorial(receiver)
    ingest("support", "ticket.TicketCreated", TICKET)
    sqs, url = boto3.client("sqs"), os.environ["FLOW_QUEUE_URL"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:FlowQueue")

    invoke(runner, event)
    invoke(runner, event)  # SQS delivers at least once

    assert len(receiver.requests) == 1


def test_a_wait_state_continues_through_a_delayed_message(receiver: Receiver) -> None:
    registry("create_integration")
    bundle = tutorial(receiver.url + "/tutorial")
    flow = bundle["resources"]["post_tickets_to_webhook_flow"]["properties"]["definition"]
    flow["StartAt"] = "Pause"
    flow["States"]["Pause"] = {"Type": "Wait", "Seconds": 30, "Next": "Zendesk.TicketCreated"}
    assert upload(bundle)["statusCode"] == 200
    install()

    ingest("support", "ticket.TicketCreated", TICKET)
    from flow_runner.handler import lambda_handler as runner

    sqs, url = boto3.client("sqs"), os.environ["FLOW_QUEUE_URL"]
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    invoke(runner, sqs_event(first, "arn:aws:sqs:us-east-1:123456789012:FlowQueue"))
    assert receiver.requests == []
    waiting = body(registry("list_logs"))["logs"]
    assert any(entry["message"].startswith("waiting 30") for entry in waiting)

    # The continuation, as SQS would hand it over once its delay has passed.
    execution_id = waiting[0]["execution_id"]
    resume = {"kind": "continue", "account_id": 1, "execution_id": execution_id, "not_before": 0}
    invoke(
        runner,
        sqs_event(
            [{"MessageId": "m", "ReceiptHandle": "r", "Body": json.dumps(resume)}],
            "arn:aws:sqs:us-east-1:123456789012:FlowQueue",
        ),
    )

    [request] = receiver.wait_for(1, "/tutorial")
    assert request.json() == {"webhook": {"status": "open", "priority": "high"}}


def test_the_real_world_ping_flow_searches_and_creates_a_ticket_through_the_zendesk_connection(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a `zendesk` connection pointing at a local fake: inbound event -> GET the
    collaboration (TSANet's own API, a public host this sandbox cannot reach: answered by
    the test) -> GET search on Zendesk -> POST the new ticket to Zendesk."""
    from hookyard.outbound import OutboundClient, OutboundResponse
    from registry_api.handler import lambda_handler as api

    registry("create_integration", integration="tsanet_connect")
    assert upload(json.loads(REAL_WORLD.read_text()), integration="tsanet_connect")["statusCode"] == 200
    for connection in (
        {
            "type": "bearer_token",
            "name": "zendesk",
            "token": "zd-token",
            "allowed_domain": "127.0.0.1",
            "base_url": receiver.url,
        },
        {"type": "bearer_token", "name": "tsanet_oauth", "token": "ts-token", "allowed_domain": "connect2.tsanet.org"},
    ):
        event = with_path(
            load_event("registry_api/connections_create.json"),
            integration="tsanet_connect",
            connection_type=connection.pop("type"),
        )
        event["body"] = json.dumps(connection)
        assert invoke(api, event)["statusCode"] == 201, event["body"]
    assert install("zis:tsanet_connect:job_spec:jobspec_handle_ping")["statusCode"] == 200
    receiver.answer(
        "/api/v2/tickets.json", Answer(200, {"tickets": [], "count": 0}), then=Answer(201, {"ticket": {"id": 991}})
    )
    collaboration = {
        "token": "REQ-1",
        "submitCompanyName": "Acme",
        "priority": "HIGH",
        "summary": "Printer",
        "description": "It is on fire",
        "status": "OPEN",
        "customFields": [],
    }
    real_request = OutboundClient.request

    def tsanet_or_real(self: OutboundClient, method: str, url: str, **kwargs: Any) -> OutboundResponse:
        if url.startswith("https://connect2.tsanet.org/"):
            assert kwargs["headers"]["Authorization"] == "Bearer ts-token"
            return OutboundResponse(
                200, {"content-type": "application/json"}, json.dumps(collaboration).encode(), False, 1
            )
        return real_request(self, method, url, **kwargs)

    monkeypatch.setattr(OutboundClient, "request", tsanet_or_real)

    ingest(
        "tsanet",
        "collaboration_event",
        {"requestToken": "REQ-1", "eventType": "collaboration-request.created"},
        integration="tsanet_connect",
    )
    run_flow_queue()

    search, create = receiver.wait_for(2, "/api/v2/tickets.json")
    assert search.method == "GET"
    assert search.query == {"external_id": ["REQ-1"]}
    assert search.headers["authorization"] == "Bearer zd-token"
    assert create.method == "POST"
    ticket = create.json()["ticket"]
    assert "Acme" in ticket["comment"]["body"]
