"""Ingest: `POST /api/services/zis/inbound_webhooks/generic/ingest/{token}`, and the
endpoint verification handshake on `GET` of the same URL (`?verifyToken=&challenge=`).

Triggered by API Gateway with no authorizer: the webhook's basic auth is checked here.
Answers 200 `null` only once EventBridge has accepted the event; 401 "Authentication
failed" for any credential problem; 413 / 400 / 415 for bodies it cannot carry; 503
with Retry-After when the bus refuses. Refusals and failures are logged at INFO and
ERROR; accepted events at DEBUG.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from hookyard import aws
from hookyard.config import IngestSettings, get_settings
from hookyard.dal.ingest_lookup import find_ingest_target
from hookyard.errors import ErrorStyle, HookyardError, ServiceUnavailable, Unauthorized, error_body
from ingest.log import logger
from ingest.logic import answer_challenge, auth_failed, authenticate, basic_credentials, build_entry, parse_request

RETRY_AFTER_SECONDS = 5


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
        target = find_ingest_target(settings.config_table, request.token) if request.token else None
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

    try:
        result = aws.events().put_events(Entries=[entry])  # type: ignore[list-item]
    except (ClientError, BotoCoreError):
        logger.exception("PutEvents failed", event_id=event_id)
        return _unavailable()
    if result.get("FailedEntryCount", 0):
        failure = result["Entries"][0]
        logger.error(
            "EventBridge rejected the event",
            event_id=event_id,
            error_code=failure.get("ErrorCode"),
            error_message=failure.get("ErrorMessage"),
        )
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
