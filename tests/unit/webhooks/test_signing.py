"""Signing: one secret, Zendesk's and Standard Webhooks' signatures, verified the way
receivers verify them (Zendesk's published code, the standardwebhooks library)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from hookyard.outbound import OutboundClient, parse_networks
from hookyard.webhooks import signing

BODY = b'{"type":"zen:event-type:ticket.created","detail":{"id":"5158"}}'
WEBHOOK_ID = "01F1KRFQ6BG29CNWFR60NK5FNY"
INVOCATION_ID = "01JD5W3S7Y1Q9M8K4T6R2N0B3C-1a2b3c4d"
SIGNED_AT = datetime(2021, 6, 17, 22, 7, 4, 512000, tzinfo=UTC)


def zendesk_receiver_verifies(payload: str, signature: str, timestamp: str, secret: str) -> bool:
    """The Python verification code from Zendesk's documentation, as receivers run it."""
    message = timestamp + payload
    computed = base64.b64encode(
        hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    ).decode("utf-8")
    return hmac.compare_digest(computed, signature)


# ------------------------------------------------------------------ the secret


def test_a_new_signing_secret_is_base64_of_32_random_bytes() -> None:
    secret = signing.new_signing_secret()

    assert len(base64.b64decode(secret, validate=True)) == 32
    assert secret != signing.new_signing_secret()


def test_zendesks_static_test_secret_is_the_published_one_and_signs() -> None:
    headers = signing.signature_headers(signing.TEST_SIGNING_SECRET, "test", INVOCATION_ID, BODY, SIGNED_AT)

    assert signing.TEST_SIGNING_SECRET == "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    assert zendesk_receiver_verifies(
        BODY.decode(), headers[signing.SIGNATURE_HEADER], headers[signing.TIMESTAMP_HEADER], signing.TEST_SIGNING_SECRET
    )


# ------------------------------------------------------------------ headers


def test_signature_headers_name_the_webhook_and_invocation_and_sign_both_ways() -> None:
    headers = signing.signature_headers(signing.new_signing_secret(), WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT)

    assert headers["x-zendesk-webhook-id"] == WEBHOOK_ID
    assert headers["x-zendesk-webhook-invocation-id"] == INVOCATION_ID
    assert headers["x-zendesk-webhook-signature-timestamp"] == "2021-06-17T22:07:04Z"
    assert headers["webhook-id"] == INVOCATION_ID
    assert headers["webhook-timestamp"] == str(int(SIGNED_AT.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert set(headers) == {
        "x-zendesk-webhook-id",
        "x-zendesk-webhook-invocation-id",
        "x-zendesk-webhook-signature",
        "x-zendesk-webhook-signature-timestamp",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2021, 6, 18, 0, 7, 4, 999999, tzinfo=timezone(timedelta(hours=2))),
        datetime(2021, 6, 17, 22, 7, 4),  # naive: read as UTC
    ],
)
def test_the_zendesk_timestamp_is_iso_8601_utc_to_the_second(moment: datetime) -> None:
    assert signing.zendesk_timestamp(moment) == "2021-06-17T22:07:04Z"


def test_the_standard_webhooks_id_stays_the_same_on_a_retry_of_the_invocation() -> None:
    secret = signing.new_signing_secret()

    first = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT)
    retry = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT + timedelta(minutes=5))

    assert first["webhook-id"] == retry["webhook-id"]
    assert first["webhook-signature"] != retry["webhook-signature"]


@pytest.mark.parametrize("secret", ["", "not base64!"])
def test_signing_with_an_empty_or_malformed_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="signing secret"):
        signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT)


# ------------------------------------------------------------------ Zendesk receivers


def test_a_zendesk_receiver_verifies_the_signature_with_zendesks_published_code() -> None:
    secret = signing.new_signing_secret()

    headers = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT)

    assert zendesk_receiver_verifies(
        BODY.decode(), headers[signing.SIGNATURE_HEADER], headers[signing.TIMESTAMP_HEADER], secret
    )


def test_verify_zendesk_accepts_what_was_signed() -> None:
    secret = signing.new_signing_secret()
    headers = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT)

    verified = signing.verify_zendesk(
        BODY, headers[signing.SIGNATURE_HEADER], headers[signing.TIMESTAMP_HEADER], secret
    )

    assert verified is True


def test_verify_zendesk_accepts_a_text_body_and_a_non_utf8_body_signed_as_bytes() -> None:
    secret = signing.new_signing_secret()
    raw = b"\xff\xfe binary"
    text_headers = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT)
    raw_headers = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, raw, SIGNED_AT)

    assert signing.verify_zendesk(
        BODY.decode(), text_headers[signing.SIGNATURE_HEADER], text_headers[signing.TIMESTAMP_HEADER], secret
    )
    assert signing.verify_zendesk(
        raw, raw_headers[signing.SIGNATURE_HEADER], raw_headers[signing.TIMESTAMP_HEADER], secret
    )


@pytest.mark.parametrize(
    ("body", "signature", "timestamp", "secret"),
    [
        (BODY + b" ", None, None, None),  # body changed
        (None, None, "2021-06-17T22:07:05Z", None),  # timestamp changed
        (None, None, None, "another secret"),  # wrong secret
        (None, "", None, None),  # no signature
        (None, None, "", None),  # no timestamp
        (None, None, None, ""),  # no secret: fails closed
        (None, "AAAA", None, None),  # another signature
    ],
)
def test_verify_zendesk_rejects_anything_that_was_not_signed(
    body: bytes | None, signature: str | None, timestamp: str | None, secret: str | None
) -> None:
    real_secret = signing.new_signing_secret()
    good_timestamp = signing.zendesk_timestamp(SIGNED_AT)
    good_signature = signing.zendesk_signature(real_secret, good_timestamp, BODY)

    verified = signing.verify_zendesk(
        body if body is not None else BODY,
        signature if signature is not None else good_signature,
        timestamp if timestamp is not None else good_timestamp,
        secret if secret is not None else real_secret,
    )

    assert verified is False


def test_verify_zendesk_with_a_tolerance_rejects_a_replayed_old_request() -> None:
    secret = signing.new_signing_secret()
    headers = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, SIGNED_AT)
    signature, timestamp = headers[signing.SIGNATURE_HEADER], headers[signing.TIMESTAMP_HEADER]
    five_minutes = timedelta(minutes=5)

    fresh = signing.verify_zendesk(
        BODY, signature, timestamp, secret, now=SIGNED_AT + timedelta(minutes=4), tolerance=five_minutes
    )
    replayed = signing.verify_zendesk(
        BODY, signature, timestamp, secret, now=SIGNED_AT + timedelta(minutes=6), tolerance=five_minutes
    )

    assert fresh is True
    assert replayed is False


def test_verify_zendesk_with_a_tolerance_rejects_a_timestamp_that_is_not_iso_8601() -> None:
    secret = "s"
    timestamp = "1623967624"
    signature = signing.zendesk_signature(secret, timestamp, BODY)

    assert signing.verify_zendesk(BODY, signature, timestamp, secret) is True
    assert signing.verify_zendesk(BODY, signature, timestamp, secret, tolerance=timedelta(minutes=5)) is False


# ------------------------------------------------------------------ Standard Webhooks receivers


def test_a_standard_webhooks_receiver_verifies_with_whsec_and_the_same_secret() -> None:
    secret = signing.new_signing_secret()

    headers = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, datetime.now(UTC))

    assert Webhook("whsec_" + secret).verify(BODY, headers) == json.loads(BODY)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_a_standard_webhooks_receiver_rejects_a_changed_body() -> None:
    secret = signing.new_signing_secret()
    headers = signing.signature_headers(secret, WEBHOOK_ID, INVOCATION_ID, BODY, datetime.now(UTC))

    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + secret).verify(BODY.replace(b"5158", b"5159"), headers)


def test_a_standard_webhooks_receiver_rejects_another_webhooks_secret() -> None:
    headers = signing.signature_headers(
        signing.new_signing_secret(), WEBHOOK_ID, INVOCATION_ID, BODY, datetime.now(UTC)
    )

    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + signing.new_signing_secret()).verify(BODY, headers)


# ------------------------------------------------------------------ over the wire


class _Verifier(BaseHTTPRequestHandler):
    """A receiver that verifies both signatures on the bytes it really got."""

    secret = ""
    results: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            Webhook("whsec_" + self.secret).verify(body, headers, json_parse=False)
            standard = True
        except WebhookVerificationError:
            standard = False
        zendesk = zendesk_receiver_verifies(
            body.decode(),
            headers["x-zendesk-webhook-signature"],
            headers["x-zendesk-webhook-signature-timestamp"],
            self.secret,
        )
        self.results.append({"zendesk": zendesk, "standard": standard})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def verifier() -> Iterator[tuple[str, type[_Verifier]]]:
    handler = type("Verifier", (_Verifier,), {"secret": signing.new_signing_secret(), "results": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()


def test_a_request_signed_and_sent_through_the_guarded_client_verifies_at_the_receiver(
    verifier: tuple[str, type[_Verifier]],
) -> None:
    url, receiver = verifier
    body = json.dumps({"ticket": {"title": "Printer on fire \N{FIRE}"}}, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        **signing.signature_headers(receiver.secret, WEBHOOK_ID, INVOCATION_ID, body, datetime.now(UTC)),
    }

    response = OutboundClient(allow=parse_networks("127.0.0.0/8")).request("POST", url, headers=headers, body=body)

    assert response.status == 200
    assert receiver.results == [{"zendesk": True, "standard": True}]
