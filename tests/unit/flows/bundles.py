"""Reference bundles: the ZIS tutorial's, and a production bundle (TSANet Connect).

`data/real-world-bundle-tsanet.json` is a byte-for-byte copy of
/work/shared/reference/real-world-bundle-tsanet.json, kept here so the tests run in a
clean clone; a test checks the copy against the reference where the reference exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REAL_WORLD = Path(__file__).parent / "data" / "real-world-bundle-tsanet.json"
REFERENCE = Path("/work/shared/reference/real-world-bundle-tsanet.json")


def real_world_bundle() -> dict[str, Any]:
    """A fresh copy of the production bundle, as uploaded (integration tsanet_connect)."""
    document: dict[str, Any] = json.loads(REAL_WORLD.read_text())
    return document


def tutorial_bundle() -> dict[str, Any]:
    """The tutorial's post_tickets_to_webhook bundle, <YOUR_INTEGRATION> = my_integration
    and <YOUR_PATH> replaced by a webhook URL, as the tutorial says to."""
    return {
        "description": "Post ZD Ticket create events to webhook",
        "name": "post_tickets_to_webhook",
        "zis_template_version": "2019-10-14",
        "resources": {
            "post_tickets_to_webhook_flow": {
                "type": "ZIS::Flow",
                "properties": {
                    "name": "post_tickets_to_webhook_flow",
                    "definition": {
                        "StartAt": "Zendesk.TicketCreated",
                        "States": {
                            "Zendesk.TicketCreated": {
                                "Type": "Action",
                                "ActionName": "zis:my_integration:action:post-to-webhook-site",
                                "Parameters": {
                                    "ticketId.$": "$",
                                    "ticketStatus.$": "$.input.ticket_event.ticket.status",
                                    "ticketPriority.$": "$.input.ticket_event.ticket.priority",
                                },
                                "End": True,
                            }
                        },
                    },
                },
            },
            "post-to-webhook-site": {
                "type": "ZIS::Action::Http",
                "properties": {
                    "name": "post-to-webhook-site",
                    "definition": {
                        "method": "POST",
                        "url": "https://webhook.site/6f1c2b1e-1111-4a2b-9c3d-000000000000",
                        "headers": [{"key": "X-Zendesk-Ticket-Id", "value.$": "$.ticketId"}],
                        "requestBody": {"webhook": {"status.$": "$.ticketStatus", "priority.$": "$.ticketPriority"}},
                    },
                },
            },
            "ticket_created_jobspec": {
                "type": "ZIS::JobSpec",
                "properties": {
                    "name": "ticket_created_jobspec",
                    "event_source": "support",
                    "event_type": "ticket.TicketCreated",
                    "flow_name": "zis:my_integration:flow:post_tickets_to_webhook_flow",
                },
            },
        },
    }
