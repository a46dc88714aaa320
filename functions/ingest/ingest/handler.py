"""Ingest: `POST /api/services/zis/inbound_webhooks/generic/ingest/{token}`, and the
endpoint verification handshake on `GET` of the same URL (`?verifyToken=&challenge=`);
`POST /api/services/zis/inbound_webhooks/zendesk/ingest/{token}` for Zendesk sources
(ingest/zendesk.py: Zendesk's signature, translation to ZIS's events, dedupe).

Triggered by API Gateway with no authorizer: the webhook's basic auth is checked here.
Answers 200 `null` only once EventBridge has accepted the event; 401 "Authentication
failed" for any credential problem; 413 / 400 / 415 for bodies it cannot carry; 503
with Retry-After when the bus refuses. Refusals and failures are logged at INFO and
ERROR; accepted events at DEBUG.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from hookyard import aws
from hookyard.config import IngestSettings, ZendeskIngestSettings, get_settings
from hookyard.dal import ingest_dedupe
from hookyard.dal.ingest_lookup import IngestTarget, ZendeskTarget, find_ingest_target
from hookyard.errors import ErrorStyle, HookyardError, ServiceUnavailable, Unauthorized, error_body
from ingest.log import logger
from ingest.logic import (
    Request,
    answer_challenge,
    auth_failed,
    authenticate,
    basic_credentials,
    build_entry,
    parse_request,
)

RETRY_AFTER_SECONDS = 5
ZENDESK_ROUTE = "/zendesk/ingest/"


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
    settings = get_settings(IngestSettings)
    try:
        request = parse_request(event, settings.max_body_bytes)
        found = find_ingest_target(settings.config_table, request.token) if request.token else None
        if ZENDESK_ROUTE in (event.get("resource") or ""):
            return _zendesk(request, found if isinstance(found, ZendeskTarget) else None, settings.event_bus_name)
        # A Zendesk source's token is no generic webhook's: it gets the unknown token's answer.
        target = found if isinstance(found, IngestTarget) else None
        if event.get("httpMethod") == "GET":
            challenge = answer_challenge(target, event.get("queryStringParameters"))
            logger.info("verification challenge answered")
            return {
                "statusCode": 200,
                "headers": {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
                "body": challenge,
            }
        if not authenticate(basic_credentials(request.headers), target):
            raise auth_failed()
        assert target is not None  # authenticate() is False without a target
        entry, event_id = build_entry(target, request, settings.event_bus_name)
    except HookyardError as refusal:
        logger.info("ingest refused", status=refusal.status, error=type(refusal).__name__)
        return _refused(refusal)
    except (ClientError, BotoCoreError):
        logger.exception("webhook lookup failed")
        return _unavailable()

    if not _publish(entry, event_id):
        return _unavailable()
    # Every accepted event is on the bus (archive it there if you need a record); a log
    # line per event would double the handler's own time, so it is a DEBUG line. Asked
    # first: Powertools builds the line's fields before the level check (1 µs a request).
    if logger.log_level <= logging.DEBUG:
        logger.debug(
            "event ingested",
            event_id=event_id,
            account_id=target.account_id,
            integration=target.integration,
            webhook_uuid=target.webhook_uuid,
            bytes=len(request.body),
        )
    return _ok()


def _publish(entry: dict[str, str], event_id: str) -> bool:
    """PutEvents of one entry; False (logged) when EventBridge did not take it."""
    try:
        result = aws.events().put_events(Entries=[entry])  # type: ignore[list-item]
    except (ClientError, BotoCoreError):
        logger.exception("PutEvents failed", event_id=event_id)
        return False
    if result.get("FailedEntryCount", 0):
        failure = result["Entries"][0]
        logger.error(
            "EventBridge rejected the event",
            event_id=event_id,
            error_code=failure.get("ErrorCode"),
            error_message=failure.get("ErrorMessage"),
        )
        return False
    return True


def _zendesk(request: Request, target: ZendeskTarget | None, bus_name: str) -> dict[str, Any]:
    """A Zendesk source's request: check, translate, claim the event, publish, confirm.
    A duplicate of an event already on the bus answers 200 and publishes nothing."""
    from hookyard import crypto  # KMS only for Zendesk sources: the generic path never loads it
    from ingest import zendesk

    settings = get_settings(ZendeskIngestSettings)
    now = datetime.now(UTC)
    try:
        source = zendesk.check_signature(target, request, lambda t: crypto.unseal(*zendesk_secret(t)), now)
        built = zendesk.build_event(source, request, bus_name, now)
        claim = ingest_dedupe.claim(
            settings.activity_table, source.account_id, source.source_uuid, built.zendesk_event_id, int(now.timestamp())
        )
    except HookyardError as refusal:
        logger.info(
            "zendesk ingest refused", status=refusal.status, error=type(refusal).__name__, reason=refusal.detail
        )
        return _answer(refusal.status, error_body(ErrorStyle.ZIS, refusal))
    except (ClientError, BotoCoreError):
        logger.exception("zendesk source lookup failed")
        return _unavailable()
    if claim.outcome is ingest_dedupe.Claimed.DUPLICATE:
        logger.info("zendesk event already received", event_id=built.event_id, zendesk_event_id=built.zendesk_event_id)
        return _ok()
    if claim.outcome is ingest_dedupe.Claimed.IN_FLIGHT:
        return _refused(ServiceUnavailable("this event is being received by another request; retry", claim.retry_after))
    if not _publish(built.entry, built.event_id):
        try:
            ingest_dedupe.release(settings.activity_table, claim)
        except (ClientError, BotoCoreError):
            logger.exception("dedupe claim not released; it lapses by itself", event_id=built.event_id)
        return _unavailable()
    try:
        ingest_dedupe.confirm(settings.activity_table, claim)
    except (ClientError, BotoCoreError):
        # The event is on the bus; an unconfirmed claim only lets a late duplicate publish
        # again, under the same event id, which flows and deliveries dedupe on.
        logger.exception("dedupe claim not confirmed", event_id=built.event_id)
    if logger.log_level <= logging.DEBUG:
        logger.debug("zendesk event ingested", event_id=built.event_id, zendesk_type=built.zendesk_type)
    return _ok()


def zendesk_secret(target: ZendeskTarget) -> tuple[str, dict[str, str]]:
    """The sealed signing secret of a Zendesk source (one that has it) and its encryption context."""
    from hookyard.zendesk.sources import seal_context

    assert target.signing_secret_sealed is not None
    return target.signing_secret_sealed, seal_context(target.account_id, target.source_uuid)


def _ok() -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "null"}


def _refused(error: HookyardError) -> dict[str, Any]:
    """The ZIS error envelope; a 401 is ZIS's bare "Authentication failed" string."""
    headers: dict[str, str] = {}
    body: Any
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Basic realm="hookyard"'
        body = error.detail
    else:
        body = error_body(ErrorStyle.ZIS, error)
    if isinstance(error, ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    return _answer(error.status, body, headers)


def _unavailable() -> dict[str, Any]:
    return _refused(ServiceUnavailable("the event bus did not accept the event; retry", RETRY_AFTER_SECONDS))
