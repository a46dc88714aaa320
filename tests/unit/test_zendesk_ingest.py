"""Ingest's checks for a Zendesk source (ingest/zendesk.py): Zendesk's signature, the
window, the account, and what a body must be. Signature vectors were computed with
`openssl dgst -sha256 -hmac <secret> -binary | base64` over timestamp + body."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hookyard.dal.ingest_lookup import ZendeskTarget
from hookyard.errors import BadRequest, Unauthorized
from hookyard.secrets import sha256_hex
from ingest.logic import Request
from ingest.zendesk import build_event, check_signature

SECRET = "sample-zendesk-signing-secret-not-a-secret"
TIMESTAMP = "2021-03-25T05:09:27Z"
SIGNED_AT = datetime(2021, 3, 25, 5, 9, 27, tzinfo=UTC)
BODY = b'{"type":"zen:event-type:ticket.created","id":"e-1"}'
# openssl over TIMESTAMP + BODY, keyed with each secret's text (not its base64-decoded bytes)
VECTOR = "A55NZYRVSsMrGaXgbMuRPq+xpLPsC04K0pnMBYsVeOw="
TEST_VECTOR = "2uNkmPPE55tttjRw9mCGR/iXQGxdyOwCGzFAH8ieLmw="
TARGET = ZendeskTarget(
    account_id=1,
    integration="my_integration",
    source_id="01S",
    source_uuid="7c5b2f0e",
    subdomain="acme",
    zendesk_account_id=22129848,
    signing_secret_sealed="sealed",
    tolerance_seconds=300,
)


def request(signature: str = VECTOR, timestamp: str = TIMESTAMP, body: bytes = BODY, **headers: str) -> Request:
    base = {
        "x-zendesk-webhook-signature": signature,
        "x-zendesk-webhook-signature-timestamp": timestamp,
        "x-zendesk-account-id": "22129848",
        "content-type": "application/json",
    }
    return Request(token="t", headers={**base, **headers}, body=body)


def check(req: Request, target: ZendeskTarget | None = TARGET, now: datetime = SIGNED_AT) -> ZendeskTarget:
    return check_signature(target, req, lambda t: SECRET, now)


def refusal(req: Request, target: ZendeskTarget | None = TARGET, now: datetime = SIGNED_AT) -> str:
    with pytest.raises(Unauthorized) as refused:
        check(req, target, now)
    return refused.value.detail


# ------------------------------------------------------------------ the signature


def test_the_documented_signature_of_timestamp_plus_body_is_accepted() -> None:
    assert check(request()) == TARGET


def test_zendesks_test_secret_signs_the_vector_openssl_computed() -> None:
    testing = replace(TARGET, test_mode=True)

    assert check(request(signature=TEST_VECTOR), testing) == testing


def test_the_test_secret_is_refused_outside_test_mode() -> None:
    assert "does not match" in refusal(request(signature=TEST_VECTOR))


@pytest.mark.parametrize(
    "tampered",
    [
        request(body=BODY.replace(b"e-1", b"e-2")),
        request(body=BODY + b" "),
        request(timestamp="2021-03-25T05:09:28Z"),
        request(signature=VECTOR.lower()),
        request(signature=base64.b64encode(b"\x00" * 32).decode()),
    ],
    ids=["other body", "one more byte", "other timestamp", "case changed", "zeros"],
)
def test_any_change_to_what_was_signed_is_refused(tampered: Request) -> None:
    assert "does not match" in refusal(tampered, now=datetime(2021, 3, 25, 5, 9, 28, tzinfo=UTC))


@pytest.mark.parametrize("missing", ["x-zendesk-webhook-signature", "x-zendesk-webhook-signature-timestamp"])
def test_a_missing_signature_header_is_refused_naming_both(missing: str) -> None:
    req = request()
    del req.headers[missing]

    assert refusal(req) == ("x-zendesk-webhook-signature and x-zendesk-webhook-signature-timestamp are required")


def test_no_source_is_the_generic_refusal() -> None:
    assert refusal(request(), target=None) == "Authentication failed"


# ------------------------------------------------------------------ the window


@pytest.mark.parametrize("seconds", [300, -300, 0])
def test_a_timestamp_within_the_window_either_way_is_accepted(seconds: int) -> None:
    assert check(request(), now=SIGNED_AT + timedelta(seconds=seconds)) == TARGET


@pytest.mark.parametrize(("seconds", "said"), [(301, "301 s old"), (-301, "301 s in the future")])
def test_a_timestamp_past_the_window_is_refused_saying_by_how_much(seconds: int, said: str) -> None:
    detail = refusal(request(), now=SIGNED_AT + timedelta(seconds=seconds))

    assert said in detail
    assert "300 s either way" in detail


def test_a_timestamp_that_is_not_a_time_is_refused() -> None:
    # Given a request signed over a timestamp that is not ISO 8601
    from hookyard.webhooks.signing import zendesk_signature

    req = request(signature=zendesk_signature(SECRET, "yesterday", BODY), timestamp="yesterday")

    assert "not an ISO 8601 time" in refusal(req)


# ------------------------------------------------------------------ the account and basic auth


@pytest.mark.parametrize("account", ["1", "", "22129848x"])
def test_another_zendesk_account_is_refused(account: str) -> None:
    assert "x-zendesk-account-id" in refusal(request(**{"x-zendesk-account-id": account}))


def test_basic_auth_is_checked_before_the_signature_when_the_source_asks_for_it() -> None:
    # Given a source with basic auth
    target = replace(TARGET, username="zd-user", password_hash=sha256_hex("zd-password"))
    good = base64.b64encode(b"zd-user:zd-password").decode()
    bad = base64.b64encode(b"zd-user:wrong").decode()

    # Then the signature alone is not enough
    assert refusal(request(), target) == "Authentication failed"
    assert refusal(request(authorization=f"Basic {bad}"), target) == "Authentication failed"
    assert check(request(authorization=f"Basic {good}"), target) == target


# ------------------------------------------------------------------ the body


def test_the_event_keeps_zendesks_payload_text_and_names_it_by_both_types() -> None:
    # Given a Zendesk body with spacing of its own
    text = b'{"type": "zen:event-type:ticket.created",  "id": "e-1", "big": 39313930383633353634323835}'

    # When
    built = build_event(TARGET, request(body=text), "hookyard", SIGNED_AT)

    # Then
    detail = json.loads(built.entry["Detail"])
    assert built.entry["Source"] == "support"
    assert built.entry["DetailType"] == "ticket.TicketCreated"
    assert detail["type_aliases"] == ["zen:event-type:ticket.created"]
    assert detail["zendesk"]["payload"]["big"] == 39313930383633353634323835
    assert built.entry["Detail"].endswith(text.decode() + "}}")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"not json", "not valid JSON"),
        (b"[" * 100 + b"]" * 100, "levels"),
        (b'"a string"', "JSON object"),
        (b'{"id": "e-1"}', "type"),
        (b'{"type": "zen:event-type:", "id": "e-1"}', "type"),
        (b'{"type": "zen:event-type:ticket.created", "id": ""}', "id"),
        (b'{"type": "zen:event-type:ticket.created", "id": true}', "id"),
        (b'{"type": "zen:event-type:ticket.created", "id": "e-1", "account_id": 5}', "account_id"),
    ],
)
def test_a_body_that_is_not_a_zendesk_event_is_a_400_naming_why(body: bytes, named: str) -> None:
    with pytest.raises(BadRequest) as refused:
        build_event(TARGET, request(body=body), "hookyard", SIGNED_AT)

    assert named in refused.value.detail


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "zen:event-type:ticket.created", "id": "e-1", "time": "9999-12-31T23:59:59-23:59"}',
        b'{"type": "zen:event-type:ticket.created", "id": "e-1", "time": "2025-13-45T99:99:99+99:99"}',
        b'{"type": "zen:event-type:ticket.created", "id": "e-1", '
        b'"detail": {"updated_at": "0001-01-01T00:00:00+23:59"}}',
        b'{"type": "zen:event-type:ticket.created", "id": "e-1", "detail": ["a"], "event": "b"}',
        b'{"type": "zen:event-type:ticket.created", "id": "e-1", "event": {"meta": {"sequence": "x"}}}',
        b'{"type": "zen:event-type:ticket.tags_changed", "id": "e-1", "detail": {"tags": [{}]}, '
        b'"event": {"tags_added": "x", "tags_removed": [[1]]}}',
        b'{"type": "zen:event-type:ticket.comment_added", "id": "e-1", "event": {"comment": {"body": "\\ud800"}}}',
        b'{"type": "zen:event-type:user.created", "id": 7, "detail": {"organization_id": [], "role": 5}}',
    ],
    ids=["time past year 9999 in UTC", "no such time", "time before year 1 in UTC", "detail and event not objects",
         "sequence not an object", "tags not lists of strings", "lone surrogate", "values of other types"],
)  # fmt: skip
def test_odd_but_valid_zendesk_events_are_published_not_a_500(body: bytes) -> None:
    # When
    built = build_event(TARGET, request(body=body), "hookyard", SIGNED_AT)

    # Then the entry is JSON EventBridge takes
    detail = json.loads(built.entry["Detail"])
    assert detail["zendesk"]["payload"] == json.loads(body)
    built.entry["Detail"].encode()


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_json_constants_eventbridge_refuses_are_a_400(constant: bytes) -> None:
    body = b'{"type": "zen:event-type:ticket.created", "id": "e-1", "x": ' + constant + b"}"

    with pytest.raises(BadRequest):
        build_event(TARGET, request(body=body), "hookyard", SIGNED_AT)


def test_a_signature_timestamp_past_year_9999_in_utc_is_refused_not_a_500() -> None:
    from hookyard.webhooks.signing import zendesk_signature

    timestamp = "9999-12-31T23:59:59-23:59"
    req = request(signature=zendesk_signature(SECRET, timestamp, BODY), timestamp=timestamp)

    assert "not an ISO 8601 time" in refusal(req)
