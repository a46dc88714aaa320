"""Zendesk sources in the config table (written and removed with their ingest lookup, in
one transaction: hookyard.dal.ingest_targets).

Items:
  PK=ACCOUNT#<id>      SK=ZDS#<integration>#<uuid>  the source
  PK=INGEST#<sha256>   SK=INGEST                    ingest lookup by the path token's hash,
                                                    kind "zendesk" (hookyard.dal.ingest_lookup)
"""

from __future__ import annotations

from typing import Any

from hookyard import clock
from hookyard.dal.ingest_lookup import ZENDESK_KIND
from hookyard.dal.ingest_targets import IngestTargetsRepository
from hookyard.models.zendesk_sources import ZendeskSourceRecord


class ZendeskSourcesRepository(IngestTargetsRepository[ZendeskSourceRecord]):
    PREFIX = "ZDS"
    MODEL = ZendeskSourceRecord
    NOUN = "zendesk source"

    def replace_signing_secret(self, record: ZendeskSourceRecord) -> None:
        """Store `record`'s new sealed secret and test mode on both items at once; the old
        secret stops working."""
        assert record.signing_secret_sealed is not None
        secret = {"signing_secret_sealed": record.signing_secret_sealed, "test_mode": record.test_mode}
        self._update_both(record, {**secret, "updated_at": clock.iso(record.updated_at or clock.now())}, secret)

    def _lookup(self, record: ZendeskSourceRecord) -> dict[str, Any]:
        return {
            "kind": ZENDESK_KIND,
            "account_id": record.account_id,
            "integration": record.integration,
            "id": record.id,
            "uuid": record.uuid,
            "subdomain": record.subdomain,
            "zendesk_account_id": record.zendesk_account_id,
            "signing_secret_sealed": record.signing_secret_sealed,
            "test_mode": record.test_mode,
            "timestamp_tolerance_seconds": record.timestamp_tolerance_seconds,
            "username": record.username,
            "password_hash": record.password_hash,
        }
