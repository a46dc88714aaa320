"""Outbound webhooks in the config table, with their routes in the subscription index.
Used by the webhooks API (everything) and the delivery function (`get`, `deactivate`).

Items (PK=ACCOUNT#<id>):
  SK=WEBHOOK#<webhook id>     the webhook; credentials and signing secret as sealed text
                              (hookyard.webhooks.secrets seals and opens them)
  SK=COUNTER#WEBHOOKS         how many webhooks the account has (the per-account cap is a
                              condition on this counter, in one transaction with the webhook)

Routes: an active event-subscribed webhook has one route per subscribed type
(hookyard.routing.webhook_routes), written and removed in the same transaction as the
webhook, so the index always says what the stored webhook says. A transaction holds at
most 100 writes: creating a webhook writes the counter, the webhook and its routes (so
MAX_SUBSCRIPTIONS is 98); a change that would need more (replacing most of 98 types at
once) is made in two transactions, removals first, each leaving the index equal to the
webhook as then stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from hookyard import aws, clock, routing
from hookyard.dal import routes
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import from_item, key, mapped_errors, query_all, to_item
from hookyard.errors import Conflict, HookyardError, NotFound
from hookyard.models.webhooks import WebhookRecord, WebhookStatus

WEBHOOK_PREFIX = "WEBHOOK#"
COUNTER_SK = "COUNTER#WEBHOOKS"
SYSTEM_ACTOR = "hookyard"
CHANGED = "the webhook changed meanwhile; read it again and retry"
_DEACTIVATE_TRIES = 5


class WebhookLimitReached(HookyardError):
    """The account already has as many webhooks as MAX_WEBHOOKS_PER_ACCOUNT allows."""

    status, code, title = 422, "1422", "WebhookLimitReached"


def webhook_sk(webhook_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{webhook_id}"


class WebhooksRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # ------------------------------------------------------------ reads
    def get(self, account_id: int, webhook_id: str) -> WebhookRecord:
        """The webhook (sealed fields included); NotFound if the account has no such webhook."""
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), webhook_sk(webhook_id)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return _record(from_item(out["Item"]))

    def get_many(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], WebhookRecord]:
        """The webhooks of the (account id, webhook id) pairs that exist, read strongly
        consistent with as few BatchGetItem requests as DynamoDB allows (100 keys each)."""
        wanted = sorted(set(keys))
        found: dict[tuple[int, str], WebhookRecord] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table: {
                    "Keys": [key(account_pk(a), webhook_sk(w)) for a, w in wanted[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            while request:
                out = aws.dynamodb().batch_get_item(RequestItems=request)
                for item in out["Responses"].get(self.table, []):
                    record = _record(from_item(item))
                    found[(record.account_id, record.id)] = record
                request = out.get("UnprocessedKeys") or {}
        return found

    def list_all(self, account_id: int) -> list[WebhookRecord]:
        """Every webhook of the account (at most MAX_WEBHOOKS_PER_ACCOUNT), oldest first."""
        return [_record(i) for i in query_all(aws.dynamodb(), self.table, account_pk(account_id), WEBHOOK_PREFIX)]

    # ------------------------------------------------------------ writes
    def create(self, record: WebhookRecord, max_per_account: int) -> None:
        """Store a new webhook and its routes unless the account already has `max_per_account`."""
        pk = account_pk(record.account_id)
        writes = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key(pk, COUNTER_SK),
                    "UpdateExpression": "ADD #n :one",
                    "ConditionExpression": "attribute_not_exists(#n) OR #n < :max",
                    "ExpressionAttributeNames": {"#n": "count"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": str(max_per_account)}},
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._item(record),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            *routes.puts(self.table, routing.webhook_routes(record)),
        ]
        try:
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise WebhookLimitReached(
                    f"an account may have at most {max_per_account} webhooks (MAX_WEBHOOKS_PER_ACCOUNT); "
                    "delete one first"
                ) from exc
            with mapped_errors(conflict="webhook already exists"):
                raise

    def replace(self, record: WebhookRecord, previous: WebhookRecord) -> WebhookRecord:
        """Store `record` over `previous` (the webhook as read, at record.version), with the
        routes following; a concurrent change in between is a Conflict. Returns the stored
        record (its version moved on)."""
        old_routes = routing.webhook_routes(previous)
        removed, added = routing.changes(old_routes, routing.webhook_routes(record))
        if 1 + len(removed) + len(added) > routes.MAX_TRANSACTION_WRITES:
            # Two steps, each consistent: first without the types going away, then with
            # the new ones.
            kept = [s for s in record.subscriptions if s in previous.subscriptions]
            step = self._put_with_routes(record.model_copy(update={"subscriptions": kept}), record.version, old_routes)
            return self._put_with_routes(record, step.version, routing.webhook_routes(step))
        return self._put_with_routes(record, record.version, old_routes)

    def _put_with_routes(self, record: WebhookRecord, expected: int, old_routes: list[routing.Route]) -> WebhookRecord:
        stored = record.model_copy(update={"version": expected + 1})
        removed, added = routing.changes(old_routes, routing.webhook_routes(stored))
        writes = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._item(stored),
                    "ConditionExpression": "attribute_exists(PK) AND #version = :expected",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":expected": {"N": str(expected)}},
                }
            },
            *routes.deletes(self.table, removed),
            *routes.puts(self.table, added),
        ]
        with mapped_errors(conflict=CHANGED):
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        return stored

    def delete(self, record: WebhookRecord) -> None:
        """Remove the webhook (as read: a change since is a Conflict) and its routes."""
        pk = account_pk(record.account_id)
        writes = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": key(pk, webhook_sk(record.id)),
                    "ConditionExpression": "attribute_exists(PK) AND #version = :expected",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":expected": {"N": str(record.version)}},
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key(pk, COUNTER_SK),
                    "UpdateExpression": "ADD #n :minus",
                    "ExpressionAttributeNames": {"#n": "count"},
                    "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                }
            },
            *routes.deletes(self.table, routing.webhook_routes(record)),
        ]
        with mapped_errors(conflict=CHANGED):
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]

    def deactivate(self, account_id: int, webhook_id: str, reason: str) -> WebhookRecord | None:
        """Set the webhook inactive with `reason` (shown as status_reason), so no new event
        reaches it (its routes go in the same transaction); e.g. when its endpoint answers
        410 Gone. Returns the updated webhook, or None if it no longer exists."""
        for _ in range(_DEACTIVATE_TRIES):
            try:
                current = self.get(account_id, webhook_id)
            except NotFound:
                return None
            update = {
                "status": WebhookStatus.INACTIVE,
                "status_reason": reason[:500],
                "updated_at": clock.now(),
                "updated_by": SYSTEM_ACTOR,
            }
            try:
                return self._put_with_routes(
                    current.model_copy(update=update), current.version, routing.webhook_routes(current)
                )
            except Conflict:
                continue  # changed meanwhile: read it again
        raise Conflict(CHANGED)

    def _item(self, record: WebhookRecord) -> dict[str, Any]:
        data = record.model_dump(mode="json", exclude_none=True)
        return to_item({"PK": account_pk(record.account_id), "SK": webhook_sk(record.id), **data})


def _record(item: dict[str, Any]) -> WebhookRecord:
    return WebhookRecord.model_validate({k: v for k, v in item.items() if k not in ("PK", "SK")})
