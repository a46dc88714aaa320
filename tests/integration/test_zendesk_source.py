"""Zendesk sources through the real handlers on moto: the inbound webhooks API creates
them, ingest checks Zendesk's signature, translates, dedupes and publishes, the router
reaches job specs and webhooks in both vocabularies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
import pytest

from hookyard.dal import ingest_dedupe
from hookyard.webhooks.signing import TEST_SIGNING_SECRET
from hookyard_dev.template import REGION
from tests.integration.conftest import basic, body, bus_events, invoke, load_event, with_path

pytestmark = pytest.mark.usefixtures("aws_env")

SECRET = "sample-zendesk-signing-secret-not-a-secret"  # what events/inbound_webhooks_api/zendesk_create.json sets
ZENDESK_ACCOUNT = 22129848


def api(event: dict[str, Any]) -> dict[str, Any]:
    from inbound_webhooks_api.handler import lambda_handler

    return invoke(lambda_handler, event, "InboundWebhooksApiFunction")


def ingest(event: dict[str, Any]) -> dict[str, Any]:
    from ingest.handler import lambda_handler

    return invoke(lambda_handler, event, "IngestFunction")


def create_source(account_id: int = 1, integration: str = "my_integration", **fields: Any) -> dict[str, Any]:
    event = load_event("inbound_webhooks_api/zendesk_create.json")
    event["requestContext"]["authorizer"]["account_id"] = str(account_id)
    with_path(event, integration=integration)
    event["body"] = json.dumps({**json.loads(event["body"]), **fields})
    response = api(event)
    assert response["statusCode"] == 201, response
    return body(response)  # type: ignore[no-any-return]


def at(name: str, source: dict[str, Any], account_id: int = 1) -> dict[str, Any]:
    event = load_event(f"inbound_webhooks_api/{name}.json")
    event["requestContext"]["authorizer"]["account_id"] = str(account_id)
    return with_path(event, integration=source["integration"], uuid=source["uuid"])


def sign(secret: str, timestamp: str, text: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), timestamp.encode() + text.encode(), hashlib.sha256).digest()
    ).decode()


def zendesk_request(
    source: dict[str, Any],
    payload: dict[str, Any] | None = None,
    *,
    secret: str = SECRET,
    signed_at: datetime | None = None,
    account: str = str(ZENDESK_ACCOUNT),
) -> dict[str, Any]:
    """What Zendesk posts to the source's URL: events/ingest/zendesk_ticket_created.json,
    pointed at the source and signed now (or at `signed_at`)."""
    event = load_event("ingest/zendesk_ticket_created.json")
    token = source["path"].rsplit("/", 1)[1]
    with_path(event, token=token)
    if payload is not None:
        event["body"] = json.dumps(payload)
    timestamp = (signed_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["headers"]["X-Zendesk-Webhook-Signature-Timestamp"] = timestamp
    event["headers"]["X-Zendesk-Webhook-Signature"] = sign(secret, timestamp, event["body"])
    event["headers"]["X-Zendesk-Account-Id"] = account
    return event


def zendesk_payload(name: str = "ticket.created") -> dict[str, Any]:
    return load_event(f"zendesk/{name}.json")


# ------------------------------------------------------------------ the API


def test_creating_a_source_answers_its_ingest_path_and_never_the_signing_secret() -> None:
    # When
    created = create_source()

    # Then
    assert created["path"].startswith("/api/services/zis/inbound_webhooks/zendesk/ingest/")
    assert len(created["path"].rsplit("/", 1)[1]) >= 43
    assert (created["subdomain"], created["zendesk_account_id"], created["account_id"]) == ("acme", ZENDESK_ACCOUNT, 1)
    assert (created["test_mode"], created["timestamp_tolerance_seconds"], created["basic_auth"]) == (False, 300, False)
    assert created["username"] is None
    assert created["password"] is None
    assert SECRET not in json.dumps(created)


def test_the_signing_secret_is_stored_sealed_only() -> None:
    # Given
    create_source()

    # When every stored item is read
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=os.environ["CONFIG_TABLE_NAME"])["Items"]

    # Then none holds the secret in clear
    assert SECRET not in json.dumps(items)
    assert any("signing_secret_sealed" in item for item in items)


def test_a_source_with_basic_auth_shows_its_password_once() -> None:
    # Given
    created = create_source(basic_auth=True)

    # When
    shown = body(api(at("zendesk_show", created)))

    # Then
    assert created["username"]
    assert len(created["password"]) >= 43
    assert shown["username"] == created["username"]
    assert shown["password"] is None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"subdomain": "acme.zendesk.com"}, "subdomain"),
        ({"zendesk_account_id": "22129848"}, "zendesk_account_id"),
        ({"zendesk_account_id": 0}, "zendesk_account_id"),
        ({"signing_secret": ""}, "signing_secret"),
        ({"timestamp_tolerance_seconds": 10}, "timestamp_tolerance_seconds"),
        ({"timestamp_tolerance_seconds": 86400}, "timestamp_tolerance_seconds"),
        ({"test_mode": "yes please"}, "test_mode"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_field_answers_400_naming_it(fields: dict[str, Any], named: str) -> None:
    # Given
    event = load_event("inbound_webhooks_api/zendesk_create.json")
    event["body"] = json.dumps({**json.loads(event["body"]), **fields})

    # When
    response = api(event)

    # Then
    assert response["statusCode"] == 400
    assert any(e["detail"].startswith(named) for e in body(response)["errors"]), body(response)


def test_ingest_is_a_reserved_integration_name_for_sources_too() -> None:
    event = with_path(load_event("inbound_webhooks_api/zendesk_create.json"), integration="ingest")

    response = api(event)

    assert response["statusCode"] == 400
    assert "reserved" in body(response)["errors"][0]["detail"]


def test_sources_are_listed_shown_and_deleted_per_account() -> None:
    # Given two sources of account 1 and one of account 2
    first, second = create_source(), create_source()
    create_source(account_id=2)

    # When
    listed = body(api(load_event("inbound_webhooks_api/zendesk_list.json")))
    shown = api(at("zendesk_show", first))
    foreign = api(at("zendesk_show", first, account_id=2))
    deleted = api(at("zendesk_delete", first))
    after = api(at("zendesk_show", first))

    # Then
    assert {s["uuid"] for s in listed["zendesk_sources"]} == {first["uuid"], second["uuid"]}
    assert listed["meta"]["has_more"] is False
    assert body(shown)["uuid"] == first["uuid"]
    assert foreign["statusCode"] == 404
    assert deleted["statusCode"] == 204
    assert after["statusCode"] == 404


def test_generic_and_zendesk_listings_do_not_mix() -> None:
    # Given a Zendesk source
    create_source()

    # When the generic inbound webhooks of the same integration are listed
    listed = body(api(load_event("inbound_webhooks_api/list.json")))

    # Then
    assert listed["inbound_webhooks"] == []


# ------------------------------------------------------------------ ingest


def test_a_signed_ticket_created_answers_200_null_and_publishes_the_zis_event(bus_queue: str) -> None:
    # Given a source and what Zendesk posts for a new ticket
    source = create_source()
    request = zendesk_request(source)

    # When
    response = ingest(request)

    # Then
    assert response["statusCode"] == 200
    assert response["body"] == "null"
    [event] = bus_events(bus_queue)
    assert (event["source"], event["detail-type"]) == ("support", "ticket.TicketCreated")
    detail = event["detail"]
    assert detail["account_id"] == 1
    assert detail["integration"] == "my_integration"
    assert detail["type_aliases"] == ["zen:event-type:ticket.created"]
    ticket = detail["body"]["ticket_event"]["ticket"]
    assert (ticket["id"], ticket["status"], ticket["priority"]) == (5158, "open", "low")
    assert detail["body"]["ticket_event"]["type"] == "Ticket Created"
    assert detail["zendesk"]["payload"] == json.loads(request["body"])
    assert detail["zendesk"]["subdomain"] == "acme"
    assert detail["zendesk"]["account_id"] == ZENDESK_ACCOUNT
    assert "x-zendesk-webhook-signature" in detail["headers"]


def test_the_same_zendesk_event_is_the_same_hookyard_event_id_every_time() -> None:
    from ingest.zendesk import derived_event_id

    # When
    first = derived_event_id("source-uuid", "cbe4028c", "2025-01-08T10:12:07.672717030Z")
    again = derived_event_id("source-uuid", "cbe4028c", "2025-01-08T10:12:07.672717030Z")
    other_source = derived_event_id("other-uuid", "cbe4028c", "2025-01-08T10:12:07.672717030Z")

    # Then
    assert first == again
    assert first != other_source
    assert len(first) == 26


def test_a_duplicate_answers_200_and_publishes_nothing_more(bus_queue: str) -> None:
    # Given an event Zendesk already delivered
    source = create_source()
    assert ingest(zendesk_request(source))["statusCode"] == 200

    # When Zendesk sends the same event again (signed anew)
    again = ingest(zendesk_request(source))

    # Then
    assert again["statusCode"] == 200
    assert again["body"] == "null"
    assert len(bus_events(bus_queue)) == 1


def test_another_event_of_the_same_ticket_is_published(bus_queue: str) -> None:
    source = create_source()
    ingest(zendesk_request(source))

    response = ingest(zendesk_request(source, {**zendesk_payload(), "id": "another-event-id"}))

    assert response["statusCode"] == 200
    assert len(bus_events(bus_queue)) == 2


def test_when_the_bus_refuses_the_answer_is_503_and_zendesks_retry_publishes(bus_queue: str) -> None:
    # Given a source, and a bus that refuses the first attempt
    source = create_source()
    failed = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}]}
    with mock.patch("hookyard.aws.events") as events:
        events.return_value.put_events.return_value = failed
        refused = ingest(zendesk_request(source))

    # When Zendesk retries
    retried = ingest(zendesk_request(source))

    # Then
    assert refused["statusCode"] == 503
    assert "Retry-After" in refused["headers"]
    assert retried["statusCode"] == 200
    assert len(bus_events(bus_queue)) == 1


def test_a_duplicate_while_the_first_is_being_published_answers_503_to_retry(bus_queue: str) -> None:
    # Given a claim held by a request still publishing the event
    source = create_source()
    claim_event(source, lease_from=int(datetime.now(UTC).timestamp()))

    # When
    response = ingest(zendesk_request(source))

    # Then
    assert response["statusCode"] == 503
    assert 1 <= int(response["headers"]["Retry-After"]) <= ingest_dedupe.LEASE_SECONDS
    assert bus_events(bus_queue) == []


def test_a_claim_whose_request_died_is_taken_over(bus_queue: str) -> None:
    # Given a claim whose lease ran out (the request that took it never finished)
    source = create_source()
    claim_event(source, lease_from=int(datetime.now(UTC).timestamp()) - ingest_dedupe.LEASE_SECONDS - 1)

    # When Zendesk sends the event again
    response = ingest(zendesk_request(source))

    # Then
    assert response["statusCode"] == 200
    assert len(bus_events(bus_queue)) == 1


def claim_event(source: dict[str, Any], lease_from: int) -> None:
    ingest_dedupe.claim(
        os.environ["ACTIVITY_TABLE_NAME"], source["account_id"], source["uuid"], zendesk_payload()["id"], lease_from
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"secret": "not-the-secret"}, "x-zendesk-webhook-signature does not match"),
        ({"signed_at": -timedelta(minutes=6)}, "s old"),
        ({"signed_at": timedelta(minutes=6)}, "in the future"),
        ({"account": "99999"}, "x-zendesk-account-id"),
    ],
    ids=["bad signature", "old timestamp", "future timestamp", "foreign account"],
)
def test_a_refused_request_answers_401_naming_the_check_and_publishes_nothing(
    bus_queue: str, change: dict[str, Any], named: str
) -> None:
    # Given
    source = create_source()
    if "signed_at" in change:
        change = {"signed_at": datetime.now(UTC) + change["signed_at"]}

    # When
    response = ingest(zendesk_request(source, **change))

    # Then
    assert response["statusCode"] == 401
    assert named in body(response)["errors"][0]["detail"]
    assert bus_events(bus_queue) == []


def test_a_refused_request_leaves_no_dedupe_record_so_the_genuine_one_publishes(bus_queue: str) -> None:
    source = create_source()
    assert ingest(zendesk_request(source, secret="forged"))["statusCode"] == 401

    assert ingest(zendesk_request(source))["statusCode"] == 200
    assert len(bus_events(bus_queue)) == 1


def test_a_request_without_the_signature_headers_answers_401(bus_queue: str) -> None:
    source = create_source()
    event = zendesk_request(source)
    del event["headers"]["X-Zendesk-Webhook-Signature"]

    response = ingest(event)

    assert response["statusCode"] == 401
    assert "are required" in body(response)["errors"][0]["detail"]
    assert bus_events(bus_queue) == []


def test_the_window_is_the_sources_own(bus_queue: str) -> None:
    # Given a source that accepts 60 s either way
    source = create_source(timestamp_tolerance_seconds=60)

    # When a request signed two minutes ago arrives
    response = ingest(zendesk_request(source, signed_at=datetime.now(UTC) - timedelta(minutes=2)))

    # Then
    assert response["statusCode"] == 401
    assert "accepts 60 s" in body(response)["errors"][0]["detail"]


def test_the_signature_is_over_the_raw_bytes_as_received(bus_queue: str) -> None:
    # Given a body with spacing and key order of its own, base64-encoded by API Gateway
    source = create_source()
    event = zendesk_request(source)
    text = json.dumps(json.loads(event["body"]), indent=3, sort_keys=True)
    event = zendesk_request(source, None)
    event["body"] = text
    timestamp = event["headers"]["X-Zendesk-Webhook-Signature-Timestamp"]
    event["headers"]["X-Zendesk-Webhook-Signature"] = sign(SECRET, timestamp, text)
    event["body"], event["isBase64Encoded"] = base64.b64encode(text.encode()).decode(), True

    # When
    response = ingest(event)

    # Then
    assert response["statusCode"] == 200
    assert len(bus_events(bus_queue)) == 1


def test_zendesks_test_secret_is_accepted_only_in_test_mode(bus_queue: str) -> None:
    # Given a production source and a test-mode source
    production, testing = create_source(), create_source(test_mode=True)

    # When each gets a request signed with Zendesk's static test secret
    refused = ingest(zendesk_request(production, secret=TEST_SIGNING_SECRET))
    accepted = ingest(zendesk_request(testing, secret=TEST_SIGNING_SECRET))
    own_secret = ingest(zendesk_request(testing, {**zendesk_payload(), "id": "second"}))

    # Then
    assert refused["statusCode"] == 401
    assert accepted["statusCode"] == 200
    assert own_secret["statusCode"] == 200
    assert len(bus_events(bus_queue)) == 2


def test_a_source_with_basic_auth_needs_the_credentials_besides_the_signature(bus_queue: str) -> None:
    # Given
    source = create_source(basic_auth=True)
    without = zendesk_request(source)
    with_credentials = zendesk_request(source)
    with_credentials["headers"]["Authorization"] = basic(source["username"], source["password"])

    # When
    refused, accepted = ingest(without), ingest(with_credentials)

    # Then
    assert refused["statusCode"] == 401
    assert accepted["statusCode"] == 200
    assert "authorization" not in bus_events(bus_queue)[0]["detail"]["headers"]


def test_a_replaced_signing_secret_takes_over_at_once() -> None:
    # Given a source whose secret Zendesk reset
    source = create_source()
    replaced = api(at("zendesk_replace_signing_secret", source))
    new_secret = json.loads(load_event("inbound_webhooks_api/zendesk_replace_signing_secret.json")["body"])

    # When
    old = ingest(zendesk_request(source))
    new = ingest(zendesk_request(source, secret=new_secret["signing_secret"]))

    # Then
    assert replaced["statusCode"] == 200
    assert body(replaced)["updated_at"]
    assert old["statusCode"] == 401
    assert new["statusCode"] == 200


def test_a_deleted_source_answers_401() -> None:
    source = create_source()
    api(at("zendesk_delete", source))

    response = ingest(zendesk_request(source))

    assert response["statusCode"] == 401


def test_tokens_work_only_on_their_own_route(bus_queue: str) -> None:
    # Given a Zendesk source and a generic webhook
    source = create_source()
    generic_event = load_event("inbound_webhooks_api/create.json")
    webhook = body(api(generic_event))

    # When each token is used on the other's route
    on_generic = load_event("ingest/json_body.json")
    with_path(on_generic, token=source["path"].rsplit("/", 1)[1])
    on_zendesk = zendesk_request({"path": webhook["path"]})

    # Then both are unknown tokens there
    assert ingest(on_generic)["statusCode"] == 401
    assert ingest(on_zendesk)["statusCode"] == 401
    assert bus_events(bus_queue) == []


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"token": "abc", "comment": "hello"}, "type"),
        ({**zendesk_payload(), "type": "ticket.created"}, "type"),
        ({k: v for k, v in zendesk_payload().items() if k != "id"}, "id"),
        ({**zendesk_payload(), "account_id": 1}, "account_id"),
        (["not", "an", "object"], "JSON object"),
    ],
    ids=["trigger body", "no zen prefix", "no id", "other account in body", "array"],
)
def test_a_body_that_is_not_a_zendesk_event_answers_400_naming_what_is_missing(
    bus_queue: str, payload: Any, named: str
) -> None:
    source = create_source()

    response = ingest(zendesk_request(source, payload))

    assert response["statusCode"] == 400
    assert named in body(response)["errors"][0]["detail"]
    assert bus_events(bus_queue) == []


def test_an_event_with_no_zis_equivalent_is_published_under_its_zendesk_type(bus_queue: str) -> None:
    source = create_source()

    response = ingest(zendesk_request(source, zendesk_payload("agent.state_changed")))

    assert response["statusCode"] == 200
    [event] = bus_events(bus_queue)
    assert (event["source"], event["detail-type"]) == ("support", "zen:event-type:agent.state_changed")
    assert event["detail"]["type_aliases"] == []
    assert event["detail"]["body"] == zendesk_payload("agent.state_changed")


def test_an_integer_event_id_is_taken_as_its_string() -> None:
    source = create_source()

    first = ingest(zendesk_request(source, {**zendesk_payload(), "id": 123456}))
    again = ingest(zendesk_request(source, {**zendesk_payload(), "id": "123456"}))

    assert (first["statusCode"], again["statusCode"]) == (200, 200)


# ------------------------------------------------------------------ routing, flows and deliveries


def create_webhook(url: str, subscriptions: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from hookyard.config import get_settings
    from webhooks_api.handler import lambda_handler

    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    event = load_event("webhooks_api/create.json")
    spec = json.loads(event["body"])
    spec["webhook"]["subscriptions"] = subscriptions
    spec["webhook"]["endpoint"] = url
    spec["webhook"].pop("custom_headers")  # custom headers need https
    event["body"] = json.dumps(spec)
    response = invoke(lambda_handler, event, "WebhooksApiFunction")
    assert response["statusCode"] == 201, response
    return body(response)["webhook"]  # type: ignore[no-any-return]


def test_one_zendesk_event_reaches_job_specs_by_zis_tag_and_webhooks_by_zendesk_type(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from delivery.handler import lambda_handler as delivery
    from tests.integration.conftest import drain, queued, route_queued
    from tests.integration.test_registry_and_flows import install, registry, tutorial, upload

    # Given the tutorial's job spec (support / ticket.TicketCreated) and a webhook
    # subscribed to Zendesk's own zen:event-type:ticket.created
    assert registry("create_integration")["statusCode"] == 201
    assert upload(tutorial("https://example.com/tutorial"))["statusCode"] == 200
    assert install()["statusCode"] == 200
    webhook = create_webhook(receiver.url + "/zendesk-events", ["zen:event-type:ticket.created"], monkeypatch)
    source = create_source()
    request = zendesk_request(source)

    # When Zendesk posts a new ticket, the router runs and the delivery is made
    assert ingest(request)["statusCode"] == 200
    route_queued()
    [flow] = queued("FLOW_QUEUE_URL")
    drain("DELIVERY_QUEUE_URL", delivery)

    # Then the job spec has its flow message
    assert (flow["integration"], flow["job_spec"]) == ("my_integration", "ticket_created_jobspec")
    # and the webhook received exactly what Zendesk sent
    [received] = receiver.wait_for(1, "/zendesk-events")
    assert received.json() == json.loads(request["body"])
    assert received.headers["x-zendesk-webhook-id"] == webhook["id"]


def test_the_flow_reads_zendesks_account_and_the_sources_subdomain(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookyard.config import get_settings
    from tests.integration.conftest import route_queued
    from tests.integration.test_registry_and_flows import install, registry, run_flow_queue, tutorial, upload

    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    # Given the tutorial's bundle, its action also posting the flow input's account and subdomain
    bundle = tutorial(receiver.url + "/tutorial")
    flow = bundle["resources"]["post_tickets_to_webhook_flow"]["properties"]["definition"]
    flow["States"]["Zendesk.TicketCreated"]["Parameters"].update(
        {"accountId.$": "$.account_id", "subdomain.$": "$.subdomain"}
    )
    action = bundle["resources"]["post-to-webhook-site"]["properties"]["definition"]
    action["requestBody"]["webhook"].update({"account.$": "$.accountId", "subdomain.$": "$.subdomain"})
    assert registry("create_integration")["statusCode"] == 201
    assert upload(bundle)["statusCode"] == 200
    assert install()["statusCode"] == 200
    source = create_source(subdomain="acme")

    # When Zendesk posts a new ticket
    assert ingest(zendesk_request(source))["statusCode"] == 200
    route_queued()
    run_flow_queue()

    # Then the flow saw what a ZIS flow sees: Zendesk's account id and subdomain
    [request] = receiver.wait_for(1, "/tutorial")
    assert request.json() == {
        "webhook": {"status": "open", "priority": "low", "account": ZENDESK_ACCOUNT, "subdomain": "acme"}
    }


# ------------------------------------------------------------------ setting up in Zendesk's order


def test_a_source_made_before_its_zendesk_webhook_refuses_everything_until_its_secret_is_set(bus_queue: str) -> None:
    # Given a source created without a secret (Zendesk shows the secret only once the
    # webhook exists, and the webhook needs the source's URL first)
    event = load_event("inbound_webhooks_api/zendesk_create.json")
    event["body"] = json.dumps({"subdomain": "acme", "zendesk_account_id": ZENDESK_ACCOUNT})
    created = api(event)
    source = body(created)

    # When a request arrives
    response = ingest(zendesk_request(source))

    # Then it is refused, saying what to do
    assert created["statusCode"] == 201
    assert source["signing_secret_set"] is False
    assert response["statusCode"] == 401
    assert "PUT" in body(response)["errors"][0]["detail"]
    assert bus_events(bus_queue) == []


def test_zendesks_order_test_mode_then_the_revealed_secret_then_production(bus_queue: str) -> None:
    # Given a source in test mode with no secret: the webhook builder's Test button works
    event = load_event("inbound_webhooks_api/zendesk_create.json")
    event["body"] = json.dumps({"subdomain": "acme", "zendesk_account_id": ZENDESK_ACCOUNT, "test_mode": True})
    source = body(api(event))
    tested = ingest(zendesk_request(source, secret=TEST_SIGNING_SECRET))

    # When the webhook's revealed secret is set and test mode left
    put = at("zendesk_replace_signing_secret", source)
    put["body"] = json.dumps({"signing_secret": SECRET, "test_mode": False})
    replaced = body(api(put))

    # Then the real secret works and the test secret no longer does
    assert tested["statusCode"] == 200
    assert (replaced["signing_secret_set"], replaced["test_mode"]) == (True, False)
    assert ingest(zendesk_request(source, {**zendesk_payload(), "id": "real"}))["statusCode"] == 200
    assert (
        ingest(zendesk_request(source, {**zendesk_payload(), "id": "fake"}, secret=TEST_SIGNING_SECRET))["statusCode"]
        == 401
    )
    assert body(api(at("zendesk_show", source)))["test_mode"] is False
