"""The ingest routes in this API's OpenAPI document. The ingest function serves them (it
is no Powertools resolver: it is the hot path), so they are written out here as ingest
answers them; the e2e schemathesis run holds ingest to this text."""

from __future__ import annotations

from typing import Any

from hookyard.models.inbound_webhooks import INGEST_PATH_PREFIX
from hookyard.models.zendesk_sources import ZENDESK_INGEST_PATH_PREFIX

INGEST_PATH = INGEST_PATH_PREFIX + "{token}"
ZENDESK_INGEST_PATH = ZENDESK_INGEST_PATH_PREFIX + "{token}"
MAX_CHALLENGE = 1024  # ingest.logic.MAX_CHALLENGE (a unit test keeps the two equal)

# As the document writes it, like the paths below (Powertools' OpenAPI models are
# imported only when the document is built: hookyard.api.swagger_on_first_request).
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "inboundWebhookAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "The inbound webhook's username and password, as created or rotated",
    },
}

_ERRORS = {"application/json": {"schema": {"$ref": "#/components/schemas/ZisErrors"}}}
_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The token in the webhook's `path`",
    "schema": {"type": "string"},
}
_AUTH_FAILED = {
    "description": 'Authentication failed: the same answer for an unknown token, user or password ("Authentication '
    'failed", as ZIS)',
    "headers": {"WWW-Authenticate": {"description": 'Basic realm="hookyard"', "schema": {"type": "string"}}},
    "content": {"application/json": {"schema": {"type": "string", "const": "Authentication failed"}}},
}
_TOO_LARGE = {
    "description": "The body is over the deployment's limit (INGEST_MAX_BODY_BYTES, 200 KB by default), or the "
    "event would be over EventBridge's 256 KB",
    "content": _ERRORS,
}
_UNAVAILABLE = {
    "description": "The webhook could not be looked up or the event bus did not take the event: send it again "
    "after Retry-After seconds",
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 0}}},
    "content": _ERRORS,
}
_THROTTLED = {"$ref": "#/components/responses/Throttled"}

PATHS: dict[str, Any] = {
    INGEST_PATH: {
        "post": {
            "tags": ["Inbound webhooks"],
            "summary": "Send an event to an inbound webhook",
            "description": "Served by the ingest function. The body becomes the `body` of one event on the bus "
            "(JSON as sent; any other text as a JSON string), with the webhook's source_system and event_type. "
            "Answers 200 `null` only once EventBridge has accepted the event.",
            "operationId": "ingest_event_post",
            "security": [{"inboundWebhookAuth": []}],
            "parameters": [_TOKEN],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {"schema": {}},
                    "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                    "text/plain": {"schema": {"type": "string"}},
                    "application/xml": {"schema": {"type": "string"}},
                },
            },
            "responses": {
                "200": {
                    "description": "The event is on the bus",
                    "content": {"application/json": {"schema": {"type": "null"}}},
                },
                "400": {
                    "description": "The body is not what it claims: JSON that does not parse or nests deeper than "
                    "64 levels, or base64 that does not decode",
                    "content": _ERRORS,
                },
                "401": _AUTH_FAILED,
                "413": _TOO_LARGE,
                "415": {"description": "The body is not UTF-8 text", "content": _ERRORS},
                "429": _THROTTLED,
                "503": _UNAVAILABLE,
            },
        },
        "get": {
            "tags": ["Inbound webhooks"],
            "summary": "Answer an endpoint verification challenge",
            "description": "Served by the ingest function: the verification handshake. With the webhook's "
            "verify_token as `verifyToken`, the answer is the `challenge`, as text.",
            "operationId": "ingest_verify_get",
            "security": [],
            "parameters": [
                _TOKEN,
                {
                    "name": "verifyToken",
                    "in": "query",
                    "required": False,
                    "description": "The verify_token the webhook was created with",
                    "schema": {"type": "string"},
                },
                {
                    "name": "challenge",
                    "in": "query",
                    "required": True,
                    "description": "Answered back as it is",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_CHALLENGE},
                },
            ],
            "responses": {
                "200": {
                    "description": "The challenge",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "400": {"description": f"challenge: required, at most {MAX_CHALLENGE} characters", "content": _ERRORS},
                "401": _AUTH_FAILED,
                "413": _TOO_LARGE,
                "429": _THROTTLED,
                "503": _UNAVAILABLE,
            },
        },
    },
    ZENDESK_INGEST_PATH: {
        "post": {
            "tags": ["Zendesk sources"],
            "summary": "Receive a Zendesk webhook's event",
            "description": "Served by the ingest function: what a Zendesk event-subscribed webhook sends, checked "
            "by Zendesk's signature (x-zendesk-webhook-signature over x-zendesk-webhook-signature-timestamp and "
            "the raw body), its timestamp window and x-zendesk-account-id (and the source's basic auth, if it asks "
            "for it). The event goes on the bus as the ZIS event bundles expect; a duplicate event id answers "
            "200 and publishes nothing.",
            "operationId": "ingest_zendesk_event_post",
            "security": [],
            "parameters": [_TOKEN],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {
                "200": {
                    "description": "The event is on the bus (or was already)",
                    "content": {"application/json": {"schema": {"type": "null"}}},
                },
                "400": {
                    "description": "The body is not a Zendesk event: a JSON object with a zen:event-type: type, an "
                    "id and (if any) this source's account_id",
                    "content": _ERRORS,
                },
                "401": {
                    "description": "Not from this source's Zendesk: the error names the check that failed "
                    '(signature, timestamp window, account), or says "Authentication failed" for an unknown token '
                    "or wrong basic auth",
                    "content": _ERRORS,
                },
                "413": _TOO_LARGE,
                "429": _THROTTLED,
                "503": _UNAVAILABLE,
            },
        },
    },
}
