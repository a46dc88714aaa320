"""Zendesk events received once: a claim per event in the activity table.

  PK=ZDEDUP#<account>#<source uuid>#<Zendesk event id>  SK=ZDEDUP
     expires_at   when the record goes (TTL): KEEP_SECONDS after the claim
     lease_until  while present, a request is publishing the event; gone once it is on the bus

Zendesk may send the same event more than once. Ingest claims the event before PutEvents
(a conditional PutItem), confirms the claim once EventBridge took it, and releases it
when EventBridge refused, so Zendesk's retry after the 503 publishes. A claim whose lease
ran out belongs to a request that died (the lease is longer than the ingest function's
timeout) and is taken over. Kept free of pydantic: ingest imports it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hookyard import aws

KEEP_SECONDS = 24 * 3600  # Zendesk's duplicates come within the signature window and retries, far less
LEASE_SECONDS = 15  # longer than the ingest function's Timeout (10 s in template.yaml)


class Claimed(StrEnum):
    NEW = "new"  # this request publishes the event
    DUPLICATE = "duplicate"  # already on the bus: answer 200 and publish nothing
    IN_FLIGHT = "in_flight"  # another request is publishing it now


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: Claimed
    key: dict[str, Any]
    retry_after: int = 0  # IN_FLIGHT: seconds until that request's lease runs out


def dedupe_key(account_id: int, source_uuid: str, event_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"ZDEDUP#{account_id}#{source_uuid}#{event_id}"}, "SK": {"S": "ZDEDUP"}}


def claim(table: str, account_id: int, source_uuid: str, event_id: str, now: int) -> Claim:
    """Claim one Zendesk event for publishing (`now` in unix seconds)."""
    key = dedupe_key(account_id, source_uuid, event_id)
    client = aws.dynamodb()
    try:
        client.put_item(
            TableName=table,
            Item={
                **key,
                "expires_at": {"N": str(now + KEEP_SECONDS)},
                "lease_until": {"N": str(now + LEASE_SECONDS)},
            },
            # DynamoDB's TTL deletes late, so an expired record counts as gone.
            ConditionExpression="attribute_not_exists(PK) OR expires_at < :now OR lease_until < :now",
            ExpressionAttributeValues={":now": {"N": str(now)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except client.exceptions.ConditionalCheckFailedException as failed:
        held: dict[str, Any] = dict(failed.response.get("Item") or {})  # type: ignore[call-overload]
        if "lease_until" in held:
            remaining = int(held["lease_until"]["N"]) - now
            return Claim(Claimed.IN_FLIGHT, key, max(1, remaining))
        return Claim(Claimed.DUPLICATE, key)
    return Claim(Claimed.NEW, key)


def confirm(table: str, claim: Claim) -> None:
    """The event is on the bus: from now on the record answers duplicates."""
    aws.dynamodb().update_item(TableName=table, Key=claim.key, UpdateExpression="REMOVE lease_until")


def release(table: str, claim: Claim) -> None:
    """The event did not reach the bus: drop the claim (if still unconfirmed) so a retry publishes."""
    client = aws.dynamodb()
    with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
        client.delete_item(TableName=table, Key=claim.key, ConditionExpression="attribute_exists(lease_until)")
