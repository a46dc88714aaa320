"""The ingest hot path's one read: webhook by path token. Kept free of pydantic models
so the ingest function's cold start stays close to a bare boto3 handler."""

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


def find_ingest_target(table: str, token: str) -> IngestTarget | None:
    """The webhook behind an ingest token, or None. A strongly consistent read, so a
    deleted webhook or a rotated password stops working at once."""
    out = aws.dynamodb().get_item(TableName=table, Key=ingest_key(token), ConsistentRead=True)
    item = out.get("Item")
    if item is None:
        return None
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
