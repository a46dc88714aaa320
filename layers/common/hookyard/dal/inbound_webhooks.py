"""Inbound webhooks in the config table (written and removed with their ingest lookup, in
one transaction: hookyard.dal.ingest_targets).

Items:
  PK=ACCOUNT#<id>      SK=IWH#<integration>#<uuid>  the webhook
  PK=INGEST#<sha256>   SK=INGEST                    ingest lookup by the path token's hash
"""

from __future__ import annotations

from typing import Any

from hookyard.dal.ingest_targets import IngestTargetsRepository
from hookyard.models.inbound_webhooks import InboundWebhookRecord


class InboundWebhooksRepository(IngestTargetsRepository[InboundWebhookRecord]):
    PREFIX = "IWH"
    MODEL = InboundWebhookRecord
    NOUN = "inbound webhook"

    def replace_credentials(self, record: InboundWebhookRecord, username: str, password_hash: str) -> None:
        """Swap the webhook's credentials on both items at once; the old ones stop working."""
        credentials = {"username": username, "password_hash": password_hash}
        self._update_both(record, credentials, credentials)

    def _lookup(self, record: InboundWebhookRecord) -> dict[str, Any]:
        return {
            "account_id": record.account_id,
            "integration": record.integration,
            "id": record.id,
            "uuid": record.uuid,
            "event_type": record.event_type,
            "source_system": record.source_system,
            "username": record.username,
            "password_hash": record.password_hash,
            "verify_token_hash": record.verify_token_hash,
        }
