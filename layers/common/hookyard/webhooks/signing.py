"""Signing outbound webhook requests, two ways at once, with one secret per webhook.

One signing secret S (`new_signing_secret()`): the base64 text of 32 random bytes.

Zendesk (what Zendesk receivers verify)::

    x-zendesk-webhook-signature-timestamp: 2021-06-17T22:07:04Z   (ISO 8601, UTC, seconds)
    x-zendesk-webhook-signature:           base64(HMAC-SHA256(key=UTF-8 bytes of S,
                                                              msg=timestamp + body))

  The key is the secret's *text*, not its base64-decoded bytes: that is what Zendesk's
  published verification code does (`secret.encode('utf-8')`), and what `verify_zendesk`
  checks.

Standard Webhooks (https://www.standardwebhooks.com; Svix and its libraries)::

    webhook-id:        the invocation id (the same on every retry, so receivers dedupe)
    webhook-timestamp: unix seconds
    webhook-signature: "v1," + base64(HMAC-SHA256(key=base64decode(S),
                                                  msg=f"{id}.{timestamp}.{body}"))

  Receivers configure `"whsec_" + S` (S is valid base64, so it is a valid key).

Both schemes sign the exact body bytes sent. `signature_headers` returns every header
above plus `x-zendesk-webhook-id` and `x-zendesk-webhook-invocation-id`, all lower-case;
the caller adds `x-zendesk-account-id`, content type, custom and authentication headers.

`TEST_SIGNING_SECRET` is Zendesk's published static secret for test requests of webhook
definitions not created yet (they have no secret of their own).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

# Zendesk's static secret for testing webhooks before they are created (published in
# Zendesk's webhook documentation; not a secret).
TEST_SIGNING_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # noqa: S105

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
WEBHOOK_ID_HEADER = "x-zendesk-webhook-id"
INVOCATION_ID_HEADER = "x-zendesk-webhook-invocation-id"
STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
STANDARD_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret

SECRET_BYTES = 32


def new_signing_secret() -> str:
    """A new signing secret: base64 (with padding, 44 characters) of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def zendesk_timestamp(now: datetime) -> str:
    """`now` as Zendesk writes the signature timestamp: `2021-06-17T22:07:04Z` (UTC,
    whole seconds). A naive datetime is read as UTC."""
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key=UTF-8 of `secret`, msg=UTF-8 of `timestamp` + `body`))."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature "v1,<base64>" of `body` with `secret` (S or
    "whsec_" + S). Raises ValueError if the secret is not base64."""
    digest = hmac.new(_standard_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secret: str, webhook_id: str, invocation_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """Every signing and identifying header of one request (names lower-case).

    `body` is exactly the bytes that will be sent (b"" for none); `now` is the signing
    time. Raises ValueError if `secret` is empty or not base64 (every secret from
    `new_signing_secret` and TEST_SIGNING_SECRET is)."""
    if not secret:
        raise ValueError("the signing secret is empty")
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    timestamp = zendesk_timestamp(moment)
    unix = int(moment.timestamp())
    return {
        WEBHOOK_ID_HEADER: webhook_id,
        INVOCATION_ID_HEADER: invocation_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: zendesk_signature(secret, timestamp, body),
        STANDARD_ID_HEADER: invocation_id,
        STANDARD_TIMESTAMP_HEADER: str(unix),
        STANDARD_SIGNATURE_HEADER: standard_signature(secret, invocation_id, unix, body),
    }


def verify_zendesk(
    body: bytes | str,
    signature: str | None,
    timestamp: str | None,
    secret: str,
    *,
    now: datetime | None = None,
    tolerance: timedelta | None = None,
) -> bool:
    """Whether `signature` is the Zendesk signature of `timestamp` + `body` with `secret`,
    as a receiver checks it (Zendesk's published code: HMAC-SHA256 keyed with the UTF-8
    secret over timestamp + body, base64, constant-time comparison).

    Fails closed: a missing or empty signature, timestamp or secret is False. With
    `tolerance` (and `now`, default the current time), a timestamp further than that
    from `now`, or not an ISO 8601 UTC time, is False too (replay protection; Zendesk
    suggests rejecting requests older than 5 minutes)."""
    if not (signature and timestamp and secret):
        return False
    if tolerance is not None:
        try:
            signed_at = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return False
        current = now or datetime.now(UTC)
        current = current.replace(tzinfo=UTC) if current.tzinfo is None else current
        if abs(current - signed_at) > tolerance:
            return False
    raw = body.encode() if isinstance(body, str) else body
    expected = zendesk_signature(secret, timestamp, raw)
    return hmac.compare_digest(expected.encode(), signature.encode())


def _standard_key(secret: str) -> bytes:
    encoded = secret.removeprefix(STANDARD_SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the signing secret is not base64") from exc
    if not key:
        raise ValueError("the signing secret is empty")
    return key
