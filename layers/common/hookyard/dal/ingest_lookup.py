"""The ingest hot path's one read: webhook by path token. Kept free of pydantic models
so the ingest function's cold start stays close to a bare boto3 handler.

One item per token, PK=INGEST#<sha256 of the token>, SK=INGEST. Its `kind` says what the
token belongs to: a generic inbound webhook (no `kind`, the items written before Zendesk
sources existed) or a Zendesk source (`kind` = "zendesk"), which ingest authenticates by
Zendesk's signature instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookyard import aws
from hookyard.dynamo import key
from hookyard.secrets import sha256_hex


def ingest_key(token: str) -> dict[str, Any]:
    return key(f"INGEST#{sha256_hex(token)}", "INGEST")


@dataclass(frozen=True, slots=True)
class IngestTarget:
    """What ingest needs to authenticate a request and publish its event."""

    account_id: int
    integration: str
    webhook_id: str
    webhook_uuid: str
    event_type: str
    source_system: str
    username: str
    password_hash: str
    verify_token_hash: str | None = None


ZENDESK_KIND = "zendesk"


@dataclass(frozen=True, slots=True)
class ZendeskTarget:
    """What ingest needs to check a Zendesk source's request and publish its event."""

    account_id: int  # Hookyard's
    integration: str
    source_id: str
    source_uuid: str
    subdomain: str
    zendesk_account_id: int
    signing_secret_sealed: str | None  # None until the source's secret is set
    tolerance_seconds: int
    test_mode: bool = False
    username: str | None = None  # with password_hash, when the source also asks for basic auth
    password_hash: str | None = None


def find_ingest_target(table: str, token: str) -> IngestTarget | ZendeskTarget | None:
    """The webhook or Zendesk source behind an ingest token, or None. A strongly
    consistent read, so a deleted webhook or a rotated password stops working at once."""
    out = aws.dynamodb().get_item(TableName=table, Key=ingest_key(token), ConsistentRead=True)
    item = out.get("Item")
    if item is None:
        return None
    if "kind" in item:
        return _zendesk_target(item) if item["kind"]["S"] == ZENDESK_KIND else None
    return IngestTarget(
        account_id=int(item["account_id"]["N"]),
        integration=item["integration"]["S"],
        webhook_id=item["id"]["S"],
        webhook_uuid=item["uuid"]["S"],
        event_type=item["event_type"]["S"],
        source_system=item["source_system"]["S"],
        username=item["username"]["S"],
        password_hash=item["password_hash"]["S"],
        verify_token_hash=item["verify_token_hash"]["S"] if "verify_token_hash" in item else None,
    )


def _zendesk_target(item: dict[str, Any]) -> ZendeskTarget:
    return ZendeskTarget(
        account_id=int(item["account_id"]["N"]),
        integration=item["integration"]["S"],
        source_id=item["id"]["S"],
        source_uuid=item["uuid"]["S"],
        subdomain=item["subdomain"]["S"],
        zendesk_account_id=int(item["zendesk_account_id"]["N"]),
        signing_secret_sealed=item["signing_secret_sealed"]["S"] if "signing_secret_sealed" in item else None,
        tolerance_seconds=int(item["timestamp_tolerance_seconds"]["N"]),
        test_mode=bool(item.get("test_mode", {}).get("BOOL", False)),
        username=item["username"]["S"] if "S" in item.get("username", {}) else None,
        password_hash=item["password_hash"]["S"] if "S" in item.get("password_hash", {}) else None,
    )
