"""Ingest rules for a Zendesk source: Zendesk's signature, then one translated event.

`POST /api/services/zis/inbound_webhooks/zendesk/ingest/{token}` takes what a Zendesk
event-subscribed webhook sends. A request is accepted when, in this order:

1. the token names a Zendesk source (else the generic 401 "Authentication failed");
2. the source asks for basic auth: the credentials match (same 401);
3. the source has a signing secret (or is in test mode), and `x-zendesk-webhook-signature`
   is base64(HMAC-SHA256(secret, timestamp + raw body)) over the bytes as received,
   compared in constant time, with the source's signing secret (or, in test mode only,
   Zendesk's static test secret);
4. `x-zendesk-webhook-signature-timestamp` is within the source's window of now;
5. `x-zendesk-account-id` is the source's Zendesk account;
6. the body is a Zendesk event: a JSON object with a `zen:event-type:` type and an id.

Each refusal is a 401 (3 to 5) or 400 (6) naming what failed, and nothing is published.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from hookyard.dal.ingest_lookup import IngestTarget, ZendeskTarget
from hookyard.errors import BadRequest, PayloadTooLarge, Unauthorized
from hookyard.jsonlimits import loads
from hookyard.webhooks import signing
from hookyard.zendesk import events
from ingest.logic import (
    CREDENTIAL_HEADERS,
    EVENT_MAX_BYTES,
    JSON_DECODER,
    Request,
    authenticate,
    basic_credentials,
    media_type,
)

ACCOUNT_HEADER = "x-zendesk-account-id"
ZENDESK_SOURCE = "support"
# Built once: json.dumps with options builds a new coder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ASCII_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ZendeskEvent:
    """A request that passed every check, ready to publish."""

    entry: dict[str, str]  # the PutEvents entry
    event_id: str  # Hookyard's, derived from the Zendesk event id
    zendesk_event_id: str
    zendesk_type: str


def check_signature(
    target: ZendeskTarget | None,
    request: Request,
    secret_of: Callable[[ZendeskTarget], str],
    now: datetime,
) -> ZendeskTarget:
    """Steps 1 to 5 above; raises Unauthorized naming the failed check."""
    if target is None:
        raise Unauthorized("Authentication failed")
    if target.username is not None and target.password_hash is not None:
        # The generic check, on a view of this source's pair.
        pair = IngestTarget(0, "", "", "", "", "", target.username, target.password_hash)
        if not authenticate(basic_credentials(request.headers), pair):
            raise Unauthorized("Authentication failed")
    signature = request.headers.get(signing.SIGNATURE_HEADER, "")
    timestamp = request.headers.get(signing.TIMESTAMP_HEADER, "")
    if not signature or not timestamp:
        raise Unauthorized(f"{signing.SIGNATURE_HEADER} and {signing.TIMESTAMP_HEADER} are required")
    secrets = [secret_of(target)] if target.signing_secret_sealed is not None else []
    if target.test_mode:
        secrets.append(signing.TEST_SIGNING_SECRET)
    if not secrets:
        raise Unauthorized(
            "this source has no signing secret yet: PUT the Zendesk webhook's secret on its signing_secret"
        )
    # Every candidate is computed and compared: which one matched costs no time to tell.
    matched = False
    for secret in secrets:
        expected = signing.zendesk_signature(secret, timestamp, request.body)
        matched |= hmac.compare_digest(expected.encode(), signature.encode())
    if not matched:
        raise Unauthorized(f"{signing.SIGNATURE_HEADER} does not match the body and timestamp")
    signed_at = _parse_time(timestamp)
    if signed_at is None:
        raise Unauthorized(f"{signing.TIMESTAMP_HEADER} is not an ISO 8601 time with a zone")
    skew = int((now - signed_at).total_seconds())
    if abs(skew) > target.tolerance_seconds:
        when = f"{skew} s old" if skew > 0 else f"{-skew} s in the future"
        raise Unauthorized(
            f"{signing.TIMESTAMP_HEADER} is {when}; this source accepts {target.tolerance_seconds} s either way"
        )
    account = request.headers.get(ACCOUNT_HEADER, "").strip()
    if account != str(target.zendesk_account_id):
        raise Unauthorized(f"{ACCOUNT_HEADER} is not this source's Zendesk account")
    return target


def build_event(target: ZendeskTarget, request: Request, bus_name: str, received_at: datetime) -> ZendeskEvent:
    """Step 6 and the PutEvents entry: Source "support", the ZIS tag as DetailType (or the
    Zendesk type when there is none), the ZIS input as body, and Zendesk's payload beside it."""
    payload = _payload(request.body)
    if not events.is_zendesk_type(payload.get("type")):
        raise BadRequest(
            f'type: "{events.TYPE_PREFIX}<event>" is required; trigger-connected webhooks with a body of '
            "your own go to a generic inbound webhook"
        )
    zendesk_id = payload.get("id")
    if isinstance(zendesk_id, bool) or not isinstance(zendesk_id, str | int) or str(zendesk_id) == "":
        raise BadRequest("id: the Zendesk event id (a string) is required")
    zendesk_id = str(zendesk_id)
    if len(zendesk_id) > 256:
        raise BadRequest("id: at most 256 characters")
    body_account = payload.get("account_id")
    if body_account is not None and str(body_account) != str(target.zendesk_account_id):
        raise BadRequest("account_id: not this source's Zendesk account")
    translation = events.translate(payload)
    event_id = derived_event_id(target.source_uuid, zendesk_id, payload.get("time"))
    detail = {
        "account_id": target.account_id,
        "integration": target.integration,
        "webhook_id": target.source_id,
        "webhook_uuid": target.source_uuid,
        "event_id": event_id,
        "received_at": received_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source_system": ZENDESK_SOURCE,
        "event_type": translation.detail_type,
        "content_type": media_type(request.headers),
        "headers": {k: v for k, v in request.headers.items() if k not in CREDENTIAL_HEADERS},
        "type_aliases": [translation.zendesk_type] if translation.mapped else [],
        "body": translation.body,
        "zendesk": {
            "subdomain": target.subdomain,
            "account_id": target.zendesk_account_id,
            "type": translation.zendesk_type,
            "event_id": zendesk_id,
        },
    }
    head = _ENCODER.encode(detail)
    if not head.isascii():
        try:
            head.encode()
        except UnicodeEncodeError:
            # A lone surrogate ("\ud800" in the JSON) is valid JSON but no UTF-8: escape it again.
            head = _ASCII_ENCODER.encode(detail)
    # "zendesk" is the detail's last member: Zendesk's payload goes in it as the text came
    # (parsing proved it valid JSON), so the bus carries exactly what Zendesk sent.
    encoded = f'{head[:-2]},"payload":{request.body.decode().strip()}}}}}'
    size = len(encoded.encode()) + len(ZENDESK_SOURCE) + len(translation.detail_type.encode())
    if size > EVENT_MAX_BYTES:
        raise PayloadTooLarge(f"the event would be {size} bytes; EventBridge's limit is {EVENT_MAX_BYTES} bytes")
    entry = {"EventBusName": bus_name, "Source": ZENDESK_SOURCE, "DetailType": translation.detail_type,
             "Detail": encoded}  # fmt: skip
    return ZendeskEvent(entry, event_id, zendesk_id, translation.zendesk_type)


def derived_event_id(source_uuid: str, zendesk_id: str, occurred: Any) -> str:
    """Hookyard's event id of a Zendesk event: a ULID whose time is the event's and whose
    rest is a hash of the source and Zendesk's id, so the same event is the same id
    however often it arrives (flow executions and deliveries dedupe on it downstream)."""
    moment = _parse_time(occurred) if isinstance(occurred, str) else None
    millis = int(moment.timestamp() * 1000) if moment is not None else 0
    digest = hashlib.sha256(f"{source_uuid}\x00{zendesk_id}".encode()).digest()
    return str(ULID.from_bytes(max(0, millis).to_bytes(6, "big") + digest[:10]))


def _payload(body: bytes) -> Mapping[str, Any]:
    try:
        value = loads(body.decode(), JSON_DECODER)
    except UnicodeDecodeError:
        raise BadRequest("request body is not UTF-8 JSON") from None
    except ValueError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BadRequest("request body must be a JSON object (a Zendesk event)")
    return value


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):  # not a time; a time that is no UTC time (year 10000)
        return None
