"""Ingest rules: authenticate, check the body, publish one event, answer honestly.

The hot path does one DynamoDB read, one SHA-256 comparison and one PutEvents.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hookyard import httpauth
from hookyard.dal.ingest_lookup import IngestTarget
from hookyard.errors import BadRequest, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from hookyard.ids import new_ulid
from hookyard.jsonlimits import NestedTooDeep, loads
from hookyard.secrets import sha256_hex

# EventBridge refuses entries over 256 KiB (source + detail-type + detail).
EVENT_MAX_BYTES = 256 * 1024
# Headers that carry credentials never travel with the event.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "x-amz-security-token"})
# Compared against when the token is unknown, so that case costs the same time.
_NO_SUCH_HASH = sha256_hex("no such webhook")


AUTH_FAILED_DETAIL = "Authentication failed"


def auth_failed() -> Unauthorized:
    """The one refusal for every credential problem. A new instance each time: raising
    one shared object again grows its traceback, which keeps every request alive."""
    return Unauthorized(AUTH_FAILED_DETAIL)


@dataclass(frozen=True, slots=True)
class Request:
    token: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


def parse_request(event: dict[str, Any], max_body_bytes: int) -> Request:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("request body is not valid base64") from None
    else:
        body = raw.encode()
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(f"request body is {len(body)} bytes; the limit is {max_body_bytes} bytes")
    token = (event.get("pathParameters") or {}).get("token") or ""
    return Request(token=token, headers=headers, body=body)


def basic_credentials(headers: dict[str, str]) -> tuple[str, str] | None:
    return httpauth.basic_credentials(headers.get("authorization", ""))


def authenticate(credentials: tuple[str, str] | None, target: IngestTarget | None) -> bool:
    """Constant-time: an unknown token, a wrong user and a wrong password take the same
    path and get the same answer."""
    username, password = credentials or ("", "")
    expected_user = target.username if target else "\x00"
    expected_hash = target.password_hash if target else _NO_SUCH_HASH
    user_ok = hmac.compare_digest(username.encode(), expected_user.encode())
    password_ok = hmac.compare_digest(sha256_hex(password), expected_hash)
    return bool(credentials) and target is not None and user_ok & password_ok


MAX_CHALLENGE = 1024


def answer_challenge(target: IngestTarget | None, query: dict[str, str] | None) -> str:
    """Endpoint verification: the challenge, if verifyToken is the webhook's verify token.
    Constant-time, and the same 401 as ingest for every mismatch."""
    query = query or {}
    challenge = query.get("challenge") or ""
    if not challenge or len(challenge) > MAX_CHALLENGE:
        raise BadRequest(f"challenge: required, at most {MAX_CHALLENGE} characters")
    expected = target.verify_token_hash if target and target.verify_token_hash else _NO_SUCH_HASH
    token_ok = hmac.compare_digest(sha256_hex(query.get("verifyToken") or ""), expected)
    if not (token_ok and target is not None and target.verify_token_hash):
        raise auth_failed()
    return challenge


def media_type(headers: dict[str, str]) -> str | None:
    value = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return value or None


def _no_constants(name: str) -> Any:
    # Python's parser takes NaN and Infinity; JSON (and so EventBridge) does not.
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads / json.dumps with options build a new coder on every call.
_DECODER = json.JSONDecoder(parse_constant=_no_constants)
JSON_DECODER = _DECODER  # for the Zendesk path: JSON as EventBridge takes it (no NaN, no Infinity)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_body(body: bytes, content_type: str | None) -> str:
    """The body as a JSON value, ready to place in the event: JSON bodies as sent (checked
    by parsing; 400 if a JSON claim is false or the body nests deeper than
    jsonlimits.MAX_DEPTH), everything else as a JSON string."""
    is_json = content_type is not None and (content_type == "application/json" or content_type.endswith("+json"))
    if not body.strip():
        return "null"
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise UnsupportedMediaType(f"request body is not UTF-8 text (content type {content_type})") from None
    if is_json or content_type is None:
        try:
            loads(text, _DECODER)
        except NestedTooDeep as exc:
            hint = "" if is_json else " (label it text/plain to send it as text)"
            raise BadRequest(f"request body {exc}{hint}") from None
        except ValueError as exc:
            if is_json:
                raise BadRequest(f"request body is not valid JSON: {exc}") from None
        else:
            # Valid JSON text is embedded as sent: parsing proved it, re-serialising would
            # only cost time on the hot path.
            return text.strip()
    return json.dumps(text, ensure_ascii=False)


def decode_body(body: bytes, content_type: str | None) -> Any:
    """The body as consumers will see it: parsed JSON, or text."""
    return json.loads(encode_body(body, content_type))


def build_entry(
    target: IngestTarget, request: Request, bus_name: str, received_at: datetime | None = None
) -> tuple[dict[str, str], str]:
    """The PutEvents entry and the event id. Shape documented in README ("The event")."""
    content_type = media_type(request.headers)
    event_id = new_ulid()
    detail = {
        "account_id": target.account_id,
        "integration": target.integration,
        "webhook_id": target.webhook_id,
        "webhook_uuid": target.webhook_uuid,
        "event_id": event_id,
        "received_at": (received_at or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source_system": target.source_system,
        "event_type": target.event_type,
        "content_type": content_type,
        "headers": {k: v for k, v in request.headers.items() if k not in CREDENTIAL_HEADERS},
    }
    head = _ENCODER.encode(detail)
    encoded = f'{head[:-1]},"body":{encode_body(request.body, content_type)}}}'
    # A character is at most 4 UTF-8 bytes: count bytes only when the limit is in reach.
    if (len(encoded) + 256) * 4 > EVENT_MAX_BYTES:
        size = len(encoded.encode()) + len(target.source_system.encode()) + len(target.event_type.encode())
    else:
        size = 0
    if size > EVENT_MAX_BYTES:
        raise PayloadTooLarge(f"the event would be {size} bytes; EventBridge's limit is {EVENT_MAX_BYTES} bytes")
    entry = {
        "EventBusName": bus_name,
        "Source": target.source_system,
        "DetailType": target.event_type,
        "Detail": encoded,
    }
    return entry, event_id
