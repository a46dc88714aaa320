"""ingest.logic: the request, basic auth, the body rules and the event for the bus."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from hookyard.dal.ingest_lookup import IngestTarget
from hookyard.errors import BadRequest, ErrorStyle, HookyardError, error_body
from hookyard.jsonlimits import MAX_DEPTH
from hookyard.secrets import sha256_hex
from ingest import handler
from ingest.logic import (
    EVENT_MAX_BYTES,
    Request,
    authenticate,
    basic_credentials,
    build_entry,
    decode_body,
    parse_request,
)
from tests.conftest import ROOT, load_event

SAMPLE_TOKEN = "OPwn17vlTjI_c8_IfmRBAcAyx_X4Hx2r5Iy95Pje64-s"
SAMPLE_USER = "SkkCyESWf8ASuzKW"
SAMPLE_PASSWORD = "sample-password-not-a-secret"  # what events/ingest/*.json send
MAX_BODY = 200 * 1024
RECEIVED_AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TARGET = IngestTarget(
    account_id=1,
    integration="my_integration",
    webhook_id="01FDXQXBGQRZ3XN28WKX559PR2",
    webhook_uuid="d339ba7f-4a42-40fc-ae75-0e93315d3d0f",
    event_type="ticket.NewReply",
    source_system="slack",
    username=SAMPLE_USER,
    password_hash=sha256_hex(SAMPLE_PASSWORD),
)


def basic(username: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def zis(error: HookyardError) -> dict[str, Any]:
    """The body ingest answers `error` with."""
    return error_body(ErrorStyle.ZIS, error)


def request_of(event_name: str) -> Request:
    return parse_request(load_event(event_name), MAX_BODY)


def detail_of(request: Request) -> dict[str, Any]:
    entry, _ = build_entry(TARGET, request, "hookyard", received_at=RECEIVED_AT)
    detail: dict[str, Any] = json.loads(entry["Detail"])
    return detail


def test_ingest_handler_module_exposes_lambda_handler() -> None:
    # Then
    assert callable(handler.lambda_handler)


def test_ingest_handler_imports_without_the_api_resolver() -> None:
    # Given a fresh interpreter with only the ingest function and the layer on its path
    paths = [str(ROOT / "functions" / "ingest"), str(ROOT / "layers" / "common")]
    code = "import sys, ingest.handler; print([m for m in sys.modules if m.startswith(PREFIXES)])"
    prefixes = ("hookyard.api", "aws_lambda_powertools.event_handler")

    # When
    result = subprocess.run(
        [sys.executable, "-c", code.replace("PREFIXES", repr(prefixes))],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        capture_output=True,
        text=True,
        check=True,
    )

    # Then ingest's cold start does not pay for the management APIs' resolver
    assert result.stdout.strip() == "[]"


# ------------------------------------------------------------------ parse_request


def test_parse_request_takes_the_token_from_the_path() -> None:
    # When
    request = request_of("ingest/form_body.json")

    # Then
    assert request.token == SAMPLE_TOKEN


def test_parse_request_lower_cases_header_names() -> None:
    # When
    request = request_of("ingest/form_body.json")

    # Then
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "Content-Type" not in request.headers


def test_parse_request_keeps_a_text_body_as_bytes() -> None:
    # When
    request = request_of("ingest/form_body.json")

    # Then
    assert request.body == b"subject=My+printer+is+on+fire%21&priority=urgent"


def test_parse_request_decodes_a_base64_body() -> None:
    # Given
    event = load_event("ingest/json_body.json")
    event["body"] = base64.b64encode(b"\x00\xff binary").decode()
    event["isBase64Encoded"] = True

    # When
    request = parse_request(event, MAX_BODY)

    # Then
    assert request.body == b"\x00\xff binary"


def test_parse_request_with_invalid_base64_is_a_400() -> None:
    # Given
    event = load_event("ingest/json_body.json")
    event["body"] = "not base64!!"
    event["isBase64Encoded"] = True

    # When / Then
    with pytest.raises(HookyardError) as refusal:
        parse_request(event, MAX_BODY)
    assert refusal.value.status == 400
    assert zis(refusal.value)["errors"][0]["code"] == "1010"


def test_parse_request_at_the_limit_is_accepted() -> None:
    # Given
    event = load_event("ingest/form_body.json")
    event["body"] = "x" * MAX_BODY

    # When
    request = parse_request(event, MAX_BODY)

    # Then
    assert len(request.body) == MAX_BODY


def test_parse_request_over_the_limit_is_a_413_naming_the_limit() -> None:
    # Given
    event = load_event("ingest/form_body.json")
    event["body"] = "x" * (MAX_BODY + 1)

    # When / Then
    with pytest.raises(HookyardError) as refusal:
        parse_request(event, MAX_BODY)
    assert refusal.value.status == 413
    (error,) = zis(refusal.value)["errors"]
    assert error["code"] == "1013"
    assert error["status"] == "413"
    assert f"the limit is {MAX_BODY} bytes" in error["detail"]


def test_parse_request_measures_a_base64_body_after_decoding() -> None:
    # Given a body whose base64 text is over the limit but whose bytes are not
    event = load_event("ingest/form_body.json")
    event["body"] = base64.b64encode(b"x" * 90).decode()
    event["isBase64Encoded"] = True

    # When
    request = parse_request(event, 100)

    # Then
    assert len(request.body) == 90


def test_parse_request_over_a_configured_limit_states_only_that_limit() -> None:
    # Given a deployment whose INGEST_MAX_BODY_BYTES is 1000, not the default 200 KB
    event = load_event("ingest/form_body.json")
    event["body"] = "x" * 1001

    # When / Then
    with pytest.raises(HookyardError) as refusal:
        parse_request(event, 1000)
    detail = zis(refusal.value)["errors"][0]["detail"]
    assert "the limit is 1000 bytes" in detail
    assert "200 KB" not in detail


def test_parse_request_without_a_body_has_an_empty_body() -> None:
    # Given
    event = load_event("ingest/form_body.json")
    event["body"] = None

    # When
    request = parse_request(event, MAX_BODY)

    # Then
    assert request.body == b""


# ------------------------------------------------------------------ basic_credentials


def test_basic_credentials_reads_the_events_username_and_password() -> None:
    # Given
    request = request_of("ingest/json_body.json")

    # When
    credentials = basic_credentials(request.headers)

    # Then
    assert credentials == (SAMPLE_USER, SAMPLE_PASSWORD)


def test_basic_credentials_accepts_a_lower_case_scheme() -> None:
    # Given
    headers = {"authorization": "basic " + base64.b64encode(b"user:pass").decode()}

    # When / Then
    assert basic_credentials(headers) == ("user", "pass")


def test_basic_credentials_keeps_colons_in_the_password() -> None:
    # Given
    headers = basic("user", "pa:ss:word")

    # When / Then
    assert basic_credentials(headers) == ("user", "pa:ss:word")


def test_basic_credentials_without_an_authorization_header_is_none() -> None:
    # Given
    request = request_of("ingest/no_auth.json")

    # When / Then
    assert basic_credentials(request.headers) is None


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer " + base64.b64encode(b"user:pass").decode(),
        base64.b64encode(b"user:pass").decode(),
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
    ],
)
def test_basic_credentials_that_are_not_basic_auth_are_none(authorization: str) -> None:
    # When / Then
    assert basic_credentials({"authorization": authorization}) is None


# ------------------------------------------------------------------ authenticate


def test_authenticate_with_the_right_credentials_is_accepted() -> None:
    # When / Then
    assert authenticate((SAMPLE_USER, SAMPLE_PASSWORD), TARGET) is True


def test_authenticate_with_a_wrong_username_is_refused() -> None:
    # When / Then
    assert authenticate(("someone-else", SAMPLE_PASSWORD), TARGET) is False


def test_authenticate_with_a_wrong_password_is_refused() -> None:
    # Given
    credentials = basic_credentials(request_of("ingest/wrong_password.json").headers)

    # When / Then
    assert credentials is not None
    assert authenticate(credentials, TARGET) is False


def test_authenticate_without_a_target_is_refused() -> None:
    # When / Then
    assert authenticate((SAMPLE_USER, SAMPLE_PASSWORD), None) is False


def test_authenticate_without_credentials_is_refused() -> None:
    # When / Then
    assert authenticate(None, TARGET) is False


def test_authenticate_without_credentials_or_target_is_refused() -> None:
    # When / Then
    assert authenticate(None, None) is False


# ------------------------------------------------------------------ decode_body


def test_decode_body_parses_a_json_body() -> None:
    # Given
    request = request_of("ingest/json_body.json")

    # When
    body = decode_body(request.body, "application/json")

    # Then
    assert body == {"subject": "My printer is on fire!", "body": "The smoke is very colorful."}


def test_decode_body_with_invalid_json_labelled_json_is_a_400() -> None:
    # Given
    request = request_of("ingest/invalid_json.json")

    # When / Then
    with pytest.raises(HookyardError) as refusal:
        decode_body(request.body, "application/json")
    assert refusal.value.status == 400
    assert zis(refusal.value)["errors"][0]["detail"].startswith("request body is not valid JSON")


def test_decode_body_counts_a_plus_json_type_as_json() -> None:
    # When
    body = decode_body(b'{"data": {"type": "tickets"}}', "application/vnd.api+json")

    # Then
    assert body == {"data": {"type": "tickets"}}


def test_decode_body_with_invalid_json_labelled_plus_json_is_a_400() -> None:
    # When / Then
    with pytest.raises(HookyardError) as refusal:
        decode_body(b"{not json", "application/vnd.api+json")
    assert refusal.value.status == 400


def test_decode_body_with_nan_labelled_json_is_a_400() -> None:
    # Given a number JSON does not have (Python's json module accepts it; EventBridge will not)
    body = b'{"temperature": NaN}'

    # When / Then
    with pytest.raises(HookyardError) as refusal:
        decode_body(body, "application/json")
    assert refusal.value.status == 400


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.api+json"])
def test_decode_body_nested_past_the_limit_is_a_400_naming_the_limit(content_type: str) -> None:
    # Given
    body = ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).encode()

    # When / Then
    with pytest.raises(BadRequest) as refusal:
        decode_body(body, content_type)
    (error,) = zis(refusal.value)["errors"]
    assert (error["code"], error["status"]) == ("1010", "400")
    assert error["detail"] == (
        f"request body nests arrays and objects more than {MAX_DEPTH} levels deep; the limit is {MAX_DEPTH} levels"
    )


def test_decode_body_without_a_content_type_nested_past_the_limit_is_a_400_saying_how_to_send_text() -> None:
    # Given
    body = ("[" * 10_000).encode()

    # When / Then
    with pytest.raises(BadRequest, match=r"the limit is 64 levels \(label it text/plain to send it as text\)"):
        decode_body(body, None)


def test_decode_body_nested_to_the_limit_is_parsed() -> None:
    # Given
    body = ('{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH).encode()

    # When / Then
    assert decode_body(body, "application/json") == json.loads(body)


@pytest.mark.parametrize(
    ("event_name", "content_type"),
    [
        ("ingest/form_body.json", "application/x-www-form-urlencoded"),
        ("ingest/xml_body.json", "application/xml"),
    ],
)
def test_decode_body_carries_non_json_types_as_text(event_name: str, content_type: str) -> None:
    # Given
    request = request_of(event_name)

    # When
    body = decode_body(request.body, content_type)

    # Then
    assert body == request.body.decode()


def test_decode_body_carries_json_looking_plain_text_as_text() -> None:
    # When
    body = decode_body(b'{"a": 1}', "text/plain")

    # Then
    assert body == '{"a": 1}'


def test_decode_body_without_a_content_type_parses_a_json_looking_body() -> None:
    # When
    body = decode_body(b'{"a": [1, 2]}', None)

    # Then
    assert body == {"a": [1, 2]}


def test_decode_body_without_a_content_type_carries_text_as_text() -> None:
    # When
    body = decode_body(b"hello there", None)

    # Then
    assert body == "hello there"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_decode_body_that_is_not_utf8_is_a_415(content_type: str | None) -> None:
    # When / Then
    with pytest.raises(HookyardError) as refusal:
        decode_body(b"\xff\xfe\x00binary", content_type)
    assert refusal.value.status == 415
    assert zis(refusal.value)["errors"][0]["code"] == "1015"


@pytest.mark.parametrize("raw", [b"", b"   \r\n\t"])
def test_decode_body_that_is_empty_is_none(raw: bytes) -> None:
    # When / Then
    assert decode_body(raw, "application/json") is None


# ------------------------------------------------------------------ build_entry


def test_build_entry_addresses_the_bus_with_the_webhooks_source_and_type() -> None:
    # Given
    request = request_of("ingest/json_body.json")

    # When
    entry, _ = build_entry(TARGET, request, "hookyard", received_at=RECEIVED_AT)

    # Then
    assert entry["EventBusName"] == "hookyard"
    assert entry["Source"] == "slack"
    assert entry["DetailType"] == "ticket.NewReply"


def test_build_entry_detail_names_the_account_integration_and_webhook() -> None:
    # When
    detail = detail_of(request_of("ingest/json_body.json"))

    # Then
    assert detail["account_id"] == 1
    assert detail["integration"] == "my_integration"
    assert detail["webhook_uuid"] == TARGET.webhook_uuid
    assert detail["webhook_id"] == TARGET.webhook_id


def test_build_entry_detail_carries_the_event_id_it_returns() -> None:
    # When
    entry, event_id = build_entry(TARGET, request_of("ingest/json_body.json"), "hookyard", received_at=RECEIVED_AT)

    # Then
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", event_id)
    assert json.loads(entry["Detail"])["event_id"] == event_id


def test_build_entry_detail_has_the_received_time_in_utc_with_milliseconds() -> None:
    # When
    detail = detail_of(request_of("ingest/json_body.json"))

    # Then
    assert detail["received_at"] == "2026-11-23T09:30:00.000Z"


def test_build_entry_detail_has_the_media_type_without_parameters() -> None:
    # Given
    event = load_event("ingest/json_body.json")
    event["headers"]["Content-Type"] = "Application/JSON; charset=utf-8"

    # When
    detail = detail_of(parse_request(event, MAX_BODY))

    # Then
    assert detail["content_type"] == "application/json"


def test_build_entry_detail_has_the_parsed_json_body() -> None:
    # When
    detail = detail_of(request_of("ingest/json_body.json"))

    # Then
    assert detail["body"] == {"subject": "My printer is on fire!", "body": "The smoke is very colorful."}


def test_build_entry_detail_has_a_form_body_as_text() -> None:
    # When
    detail = detail_of(request_of("ingest/form_body.json"))

    # Then
    assert detail["body"] == "subject=My+printer+is+on+fire%21&priority=urgent"


def test_build_entry_detail_headers_leave_out_credentials() -> None:
    # Given
    event = load_event("ingest/json_body.json")
    event["headers"] |= {"Cookie": "session=1", "X-Api-Key": "k", "Proxy-Authorization": "Basic x"}

    # When
    detail = detail_of(parse_request(event, MAX_BODY))

    # Then
    assert {"authorization", "cookie", "x-api-key", "proxy-authorization"}.isdisjoint(detail["headers"])
    assert detail["headers"]["user-agent"] == "curl/8.5.0"
    assert detail["headers"]["content-type"] == "application/json"


def test_build_entry_over_the_eventbridge_limit_is_a_413() -> None:
    # Given a body that fits ingest's limit but whose JSON escaping pushes the event over 256 KiB
    request = Request(SAMPLE_TOKEN, {"content-type": "text/plain"}, b"\x01" * (50 * 1024))

    # When / Then
    with pytest.raises(HookyardError) as refusal:
        build_entry(TARGET, request, "hookyard", received_at=RECEIVED_AT)
    assert refusal.value.status == 413
    assert str(EVENT_MAX_BYTES) in zis(refusal.value)["errors"][0]["detail"]


def test_build_entry_just_under_the_eventbridge_limit_is_accepted() -> None:
    # Given
    request = Request(SAMPLE_TOKEN, {"content-type": "text/plain"}, b"x" * (250 * 1024))

    # When
    entry, _ = build_entry(TARGET, request, "hookyard", received_at=RECEIVED_AT)

    # Then
    assert len(entry["Detail"].encode()) <= EVENT_MAX_BYTES


def test_build_entry_with_a_lone_surrogate_in_a_json_body_refuses_or_carries_it() -> None:
    # Given valid-looking JSON whose string escapes to half a UTF-16 pair
    request = Request(SAMPLE_TOKEN, {"content-type": "application/json"}, b'{"text": "\\ud800"}')

    # When
    try:
        entry, _ = build_entry(TARGET, request, "hookyard", received_at=RECEIVED_AT)
    except HookyardError as refusal:
        status = refusal.status
    else:
        entry["Detail"].encode()  # what PutEvents will send
        status = 200

    # Then a 400 or a carried event; never an unhandled error (a 502 from API Gateway)
    assert status in (200, 400)
