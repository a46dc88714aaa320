"""What the inbound webhooks API (which seals) and ingest (which opens) share about a
Zendesk source's signing secret."""

from __future__ import annotations

SIGNING_SECRET = "signing_secret"  # noqa: S105 - a purpose name, not a secret


def seal_context(account_id: int, source_uuid: str) -> dict[str, str]:
    """KMS encryption context: a sealed signing secret opens only for its own source."""
    return {"account_id": str(account_id), "zendesk_source": source_uuid, "purpose": SIGNING_SECRET}
