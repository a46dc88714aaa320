"""The request the warm ingest benchmark sends: the sample API Gateway event from
events/ingest/json_body.json carrying a realistic Zendesk ticket-created webhook body."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from bench.stats import require

SAMPLE_EVENT = Path(__file__).resolve().parent.parent / "events" / "ingest" / "json_body.json"

# The sample event's credentials (events/ingest/json_body.json); not secrets.
TOKEN = "OPwn17vlTjI_c8_IfmRBAcAyx_X4Hx2r5Iy95Pje64-s"
USERNAME = "SkkCyESWf8ASuzKW"
PASSWORD = "sample-password-not-a-secret"
PASSWORD_HASH = hashlib.sha256(PASSWORD.encode()).hexdigest()

CONFIG_TABLE = "hookyard-bench-ConfigTable"
EVENT_BUS = "hookyard-bench"

# The ingest lookup item as DynamoDB stores it (hookyard/dal/inbound_webhooks.py writes
# it, hookyard/dal/ingest_lookup.py reads it), in attribute-value format.
INGEST_KEY = {"PK": {"S": f"INGEST#{hashlib.sha256(TOKEN.encode()).hexdigest()}"}, "SK": {"S": "INGEST"}}
INGEST_ITEM: dict[str, Any] = {
    **INGEST_KEY,
    "account_id": {"N": "12514403"},
    "integration": {"S": "zendesk_support"},
    "id": {"S": "01JD8Q3ZK4V6M2T9XW7R5N1BCE"},
    "uuid": {"S": "6c1f0d52-3b7e-4a8e-9a21-5f0e2d9b7c44"},
    "event_type": {"S": "ticket.created"},
    "source_system": {"S": "zendesk"},
    "username": {"S": USERNAME},
    "password_hash": {"S": PASSWORD_HASH},
}

# A Zendesk event-webhook "ticket created" payload, about 1.5 KB as sent.
TICKET_CREATED: dict[str, Any] = {
    "type": "zen:event-type:ticket.created",
    "account_id": 12514403,
    "id": "cbe4028c-7239-495d-b020-f22348516046",
    "time": "2026-11-23T09:29:58.123Z",
    "zendesk_event_version": "2022-11-06",
    "subject": "zen:ticket:5158",
    "event": {},
    "detail": {
        "actor_id": "8447388090494",
        "assignee_id": None,
        "brand_id": "8447346621310",
        "created_at": "2026-11-23T09:29:57Z",
        "custom_status": "8447388085758",
        "description": (
            "Hi team,\n\nsince this morning the printer on the 3rd floor (HP LaserJet M507, asset "
            "tag IT-04417) makes a grinding noise and then smoke comes out of the back. The smoke "
            "is very colorful. We unplugged it and put a sign on it. Could someone from facilities "
            "have a look before Friday? Our invoices run is due and the 2nd floor printer is already "
            "out of toner.\n\nAlso: the status page still says all printers are fine, and the ticket form "
            'would not let me pick "Facilities" as the category, so I chose "IT hardware" instead. '
            "Sorry if this is the wrong queue.\n\nDanke und "
            "viele Grüße,\nJörg Müller\nAccounts Payable, Zürich office\n+41 44 555 01 23"
        ),
        "external_id": None,
        "form_id": "8646151517822",
        "group_id": "8447320466430",
        "id": "5158",
        "is_public": True,
        "organization_id": "8447346622462",
        "priority": "HIGH",
        "requester_id": "8447388090494",
        "status": "NEW",
        "subject": "My printer is on fire!",
        "submitter_id": "8447388090494",
        "tags": ["printer", "hardware", "facilities", "urgent", "zurich"],
        "type": "INCIDENT",
        "updated_at": "2026-11-23T09:29:57Z",
        "via": {"channel": "web_form"},
    },
}


def ingest_event() -> dict[str, Any]:
    """The API Gateway proxy event for one ingest request with the ticket body."""
    event: dict[str, Any] = copy.deepcopy(json.loads(SAMPLE_EVENT.read_text()))
    require(event["pathParameters"]["token"] == TOKEN, f"{SAMPLE_EVENT} changed its token")
    scheme, _, encoded = event["headers"]["Authorization"].partition(" ")
    require(scheme == "Basic", f"{SAMPLE_EVENT} changed its Authorization scheme")
    require(base64.b64decode(encoded).decode() == f"{USERNAME}:{PASSWORD}", f"{SAMPLE_EVENT} changed its credentials")
    event["body"] = json.dumps(TICKET_CREATED, ensure_ascii=False)
    event["isBase64Encoded"] = False
    return event
