"""Ingest through its real handler on moto: auth, body rules, and the event on the bus."""

from __future__ import annotations

import copy
import gc
import json
import tracemalloc
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError

from hookyard import clock
from hookyard.config import TableSettings, get_settings
from hookyard.dal.inbound_webhooks import InboundWebhooksRepository
from hookyard.jsonlimits import MAX_DEPTH
from hookyard.models.inbound_webhooks import InboundWebhookRecord
from hookyard.secrets import sha256_hex
from tests.integration.conftest import (
    SAMPLE_PASSWORD,
    SAMPLE_TOKEN,
    SAMPLE_USER,
    basic,
    body,
    bus_events,
    invoke,
    load_event,
)

pytestmark = pytest.mark.usefixtures("aws_env")
SAMPLE_VERIFY_TOKEN = "sample-verify-token"  # what events/ingest/verify_challenge.json sends


@pytest.fixture
def sample_webhook(aws_env: Any) -> InboundWebhookRecord:
    """Given the inbound webhook that events/ingest/*.json were written for."""
    record = InboundWebhookRecord(
        id="01FDXQXBGQRZ3XN28WKX559PR2",
        uuid="d339ba7f-4a42-40fc-ae75-0e93315d3d0f",
        account_id=1,
        integration="my_integration",
        event_type="ticket.NewReply",
        source_system="slack",
        username=SAMPLE_USER,
        password_hash=sha256_hex(SAMPLE_PASSWORD),
        token=SAMPLE_TOKEN,
        verify_token_hash=sha256_hex(SAMPLE_VERIFY_TOKEN),
        created_at=clock.now(),
    )
    InboundWebhooksRepository(get_settings(TableSettings).config_table).create(record)
    return record


def ingest(event: dict[str, Any]) -> dict[str, Any]:
    from ingest.handler import lambda_handler

    return invoke(lambda_handler, event, "IngestFunction")


def test_a_json_body_answers_200_null_and_reaches_the_bus(sample_webhook: Any, bus_queue: str) -> None:
    response = ingest(load_event("ingest/json_body.json"))

    assert response["statusCode"] == 200
    assert response["body"] == "null"
    [event] = bus_events(bus_queue)
    assert event["source"] == "slack"
    assert event["detail-type"] == "ticket.NewReply"
    detail = event["detail"]
    assert detail["body"] == {"subject": "My printer is on fire!", "body": "The smoke is very colorful."}
    assert detail["account_id"] == 1
    assert detail["integration"] == "my_integration"
    assert detail["webhook_uuid"] == sample_webhook.uuid
    assert detail["content_type"] == "application/json"
    assert len(detail["event_id"]) == 26
    assert detail["received_at"].endswith("Z")
    assert "authorization" not in detail["headers"]
    assert detail["headers"]["user-agent"] == "curl/8.5.0"


@pytest.mark.parametrize(
    ("name", "content_type", "text"),
    [
        ("form_body", "application/x-www-form-urlencoded", "subject=My+printer+is+on+fire%21&priority=urgent"),
        ("xml_body", "application/xml", "<ticket><subject>My printer is on fire!</subject></ticket>"),
    ],
)
def test_non_json_bodies_are_carried_as_text_with_their_content_type(
    sample_webhook: Any, bus_queue: str, name: str, content_type: str, text: str
) -> None:
    response = ingest(load_event(f"ingest/{name}.json"))

    assert response["statusCode"] == 200
    [event] = bus_events(bus_queue)
    assert event["detail"]["content_type"] == content_type
    assert event["detail"]["body"] == text


def test_a_body_that_claims_json_and_is_not_answers_400_and_publishes_nothing(
    sample_webhook: Any, bus_queue: str
) -> None:
    response = ingest(load_event("ingest/invalid_json.json"))

    assert response["statusCode"] == 400
    assert "not valid JSON" in body(response)["errors"][0]["detail"]
    assert bus_events(bus_queue) == []


@pytest.mark.parametrize("name", ["wrong_password", "no_auth", "unknown_token"])
def test_credential_problems_answer_the_same_401(sample_webhook: Any, bus_queue: str, name: str) -> None:
    response = ingest(load_event(f"ingest/{name}.json"))

    assert response["statusCode"] == 401
    assert body(response) == "Authentication failed"
    assert bus_events(bus_queue) == []


def test_a_wrong_username_with_the_right_password_answers_401(sample_webhook: Any) -> None:
    event = load_event("ingest/json_body.json")
    event["headers"]["Authorization"] = basic("someoneelse00000", SAMPLE_PASSWORD)

    assert ingest(event)["statusCode"] == 401


def test_a_body_over_200_kb_answers_413_naming_the_limit(sample_webhook: Any, bus_queue: str) -> None:
    event = load_event("ingest/json_body.json")
    event["body"] = json.dumps({"blob": "x" * (200 * 1024)})

    response = ingest(event)

    assert response["statusCode"] == 413
    assert "204800" in body(response)["errors"][0]["detail"]
    assert bus_events(bus_queue) == []


def test_a_body_just_under_the_limit_is_accepted(sample_webhook: Any, bus_queue: str) -> None:
    event = load_event("ingest/json_body.json")
    event["body"] = json.dumps({"blob": "x" * (200 * 1024 - 20)})

    assert ingest(event)["statusCode"] == 200
    assert len(bus_events(bus_queue)) == 1


def test_a_deleted_webhook_stops_working_at_once(sample_webhook: InboundWebhookRecord) -> None:
    InboundWebhooksRepository(get_settings(TableSettings).config_table).delete(
        1, sample_webhook.integration, sample_webhook.uuid
    )

    assert ingest(load_event("ingest/json_body.json"))["statusCode"] == 401


def test_rotated_credentials_reject_the_old_password(sample_webhook: InboundWebhookRecord) -> None:
    InboundWebhooksRepository(get_settings(TableSettings).config_table).replace_credentials(
        sample_webhook, "newuser000000000", sha256_hex("new-password")
    )
    event = load_event("ingest/json_body.json")

    refused = ingest(event)
    event["headers"]["Authorization"] = basic("newuser000000000", "new-password")
    accepted = ingest(event)

    assert refused["statusCode"] == 401
    assert accepted["statusCode"] == 200


def test_an_entry_eventbridge_rejects_answers_503_with_retry_after(sample_webhook: Any) -> None:
    failed = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}]}
    with mock.patch("hookyard.aws.events") as events:
        events.return_value.put_events.return_value = failed

        response = ingest(load_event("ingest/json_body.json"))

    assert response["statusCode"] == 503
    assert int(response["headers"]["Retry-After"]) > 0
    assert body(response) == {
        "errors": [{"code": "1503", "detail": "the event bus did not accept the event; retry", "status": "503"}]
    }


def test_an_eventbridge_error_answers_503_never_200(sample_webhook: Any) -> None:
    error = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutEvents")
    with mock.patch("hookyard.aws.events") as events:
        events.return_value.put_events.side_effect = error

        response = ingest(load_event("ingest/json_body.json"))

    assert response["statusCode"] == 503
    assert "Retry-After" in response["headers"]


def test_the_password_never_appears_in_logs(sample_webhook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    from ingest.handler import logger

    buffer = io.StringIO()
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(logger.registered_formatter)
    logger.addHandler(capture)
    level = logger.log_level
    # The most a deployment can log: LogLevel DEBUG, which Lambda's log filter gets too.
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "DEBUG")
    logger.setLevel("DEBUG")
    try:
        ingest(load_event("ingest/json_body.json"))
        ingest(load_event("ingest/wrong_password.json"))
    finally:
        monkeypatch.undo()
        logger.setLevel(level)
        logger.removeHandler(capture)

    out = buffer.getvalue()
    assert SAMPLE_PASSWORD not in out
    assert basic(SAMPLE_USER, SAMPLE_PASSWORD).split()[1] not in out
    assert "event ingested" in out


def test_a_webhook_created_through_the_api_ingests(bus_queue: str) -> None:
    from inbound_webhooks_api.handler import lambda_handler as api

    created = body(invoke(api, load_event("inbound_webhooks_api/create.json")))
    token = created["path"].rsplit("/", 1)[1]
    event = load_event("ingest/json_body.json")
    event["pathParameters"]["token"] = token
    event["headers"]["Authorization"] = basic(created["username"], created["password"])

    assert ingest(event)["statusCode"] == 200
    [published] = bus_events(bus_queue)
    assert published["detail"]["webhook_uuid"] == created["uuid"]
    assert boto3.client("events").list_event_buses()  # the bus exists in the template's account


def test_a_verification_get_with_the_verify_token_echoes_the_challenge(sample_webhook: Any, bus_queue: str) -> None:
    response = ingest(load_event("ingest/verify_challenge.json"))

    assert response["statusCode"] == 200
    assert response["body"] == "c8f3a2"
    assert response["headers"]["Content-Type"].startswith("text/plain")
    assert bus_events(bus_queue) == []


@pytest.mark.parametrize("query", [{"verifyToken": "wrong-token", "challenge": "c"}, {"challenge": "c"}])
def test_a_verification_get_with_a_wrong_or_missing_token_answers_401(sample_webhook: Any, query: Any) -> None:
    event = load_event("ingest/verify_challenge.json")
    event["queryStringParameters"] = query

    response = ingest(event)

    assert response["statusCode"] == 401
    assert body(response) == "Authentication failed"


def test_a_verification_get_without_a_challenge_answers_400(sample_webhook: Any) -> None:
    event = load_event("ingest/verify_challenge.json")
    event["queryStringParameters"] = {"verifyToken": SAMPLE_VERIFY_TOKEN}

    assert ingest(event)["statusCode"] == 400


def test_a_webhook_without_a_verify_token_never_answers_a_challenge(bus_queue: str) -> None:
    from inbound_webhooks_api.handler import lambda_handler as api

    created = body(invoke(api, load_event("inbound_webhooks_api/create.json")))
    event = load_event("ingest/verify_challenge.json")
    event["pathParameters"]["token"] = created["path"].rsplit("/", 1)[1]
    event["queryStringParameters"] = {"verifyToken": "", "challenge": "c"}

    assert ingest(event)["statusCode"] == 401


def test_a_verify_token_given_at_creation_is_accepted_by_the_handshake() -> None:
    from inbound_webhooks_api.handler import lambda_handler as api

    create = load_event("inbound_webhooks_api/create.json")
    create["body"] = json.dumps({"event_type": "e", "source_system": "s", "verify_token": "my-verify-token"})
    created = body(invoke(api, create))
    event = load_event("ingest/verify_challenge.json")
    event["pathParameters"]["token"] = created["path"].rsplit("/", 1)[1]
    event["queryStringParameters"] = {"verifyToken": "my-verify-token", "challenge": "xyz"}

    assert "verify_token" not in created
    assert ingest(event)["body"] == "xyz"


def _traced_bytes_after_refusing(event: dict[str, Any], times: int) -> int:
    for _ in range(times):
        assert ingest(copy.deepcopy(event))["statusCode"] == 401
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    return current


@pytest.mark.parametrize("name", ["wrong_password", "unknown_token"])
def test_refused_requests_are_not_kept_alive(sample_webhook: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.log import logger

    # Given refused requests that each carry a 200 KB body, and the function's log records
    # going no further than its own handler: pytest's log capture on the root logger keeps
    # every record of a test (Lambda's root handler keeps none), which is not ingest's memory
    monkeypatch.setattr(logger._logger, "propagate", False)
    event = load_event(f"ingest/{name}.json")
    event["body"] = json.dumps({"blob": "x" * (200 * 1024 - 20)})
    ingest(copy.deepcopy(event))  # warm: clients, caches, lazy imports

    # When 25 are refused, and then 75 more
    tracemalloc.start()
    try:
        after_n = _traced_bytes_after_refusing(event, 25)
        after_4n = _traced_bytes_after_refusing(event, 75)
    finally:
        tracemalloc.stop()

    # Then memory stays flat: the 75 later requests hold less than one request's body
    assert after_4n - after_n < 200 * 1024


# ------------------------------------------------------------------ deep JSON


def deep_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.api+json", None])
@pytest.mark.parametrize("shape", [deep_arrays, deep_objects])
def test_an_ingest_body_nested_10000_deep_answers_400_and_publishes_nothing(
    sample_webhook: Any,
    bus_queue: str,
    content_type: str | None,
    shape: Any,
) -> None:
    # Given
    event = load_event("ingest/json_body.json")
    event["body"] = shape(10_000)
    if content_type is None:
        del event["headers"]["Content-Type"]
    else:
        event["headers"]["Content-Type"] = content_type

    # When
    response = ingest(event)

    # Then
    assert response["statusCode"] == 400
    (error,) = body(response)["errors"]
    assert (error["code"], error["status"]) == ("1010", "400")
    assert f"the limit is {MAX_DEPTH} levels" in error["detail"]
    assert bus_events(bus_queue) == []


def test_the_too_deep_sample_event_answers_400(sample_webhook: Any, bus_queue: str) -> None:
    # When
    response = ingest(load_event("ingest/too_deep_json.json"))

    # Then
    assert response["statusCode"] == 400
    assert bus_events(bus_queue) == []


def test_an_ingest_body_nested_up_to_the_limit_reaches_the_bus(sample_webhook: Any, bus_queue: str) -> None:
    # Given
    event = load_event("ingest/json_body.json")
    event["body"] = deep_objects(MAX_DEPTH)

    # When
    response = ingest(event)

    # Then
    assert response["statusCode"] == 200
    [published] = bus_events(bus_queue)
    assert published["detail"]["body"] == json.loads(deep_objects(MAX_DEPTH))


def test_a_deep_text_body_is_carried_as_text(sample_webhook: Any, bus_queue: str) -> None:
    # Given brackets in a body labelled text: ingest does not parse it
    event = load_event("ingest/json_body.json")
    event["headers"]["Content-Type"] = "text/plain"
    event["body"] = deep_arrays(10_000)

    # When
    response = ingest(event)

    # Then
    assert response["statusCode"] == 200
    [published] = bus_events(bus_queue)
    assert published["detail"]["body"] == deep_arrays(10_000)
