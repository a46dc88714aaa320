"""Triggers in the config table, with their routes in the subscription index. Used by the
webhooks API (everything) and the delivery function (`get`).

Items (PK=ACCOUNT#<id>):
  SK=TRIGGER#<trigger id>     the trigger: conditions and actions as given

Routes: an active trigger has its routes (hookyard.routing.trigger_routes: under the
types its conditions require, else the account's wildcard), written and removed in the
same transaction as the trigger.
"""

from __future__ import annotations

import json
from typing import Any

from hookyard import aws, routing
from hookyard.dal import routes
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import from_item, key, mapped_errors, query_all, to_item
from hookyard.errors import NotFound
from hookyard.models.triggers import TriggerRecord

TRIGGER_PREFIX = "TRIGGER#"
CHANGED = "the trigger changed meanwhile; read it again and retry"


def trigger_sk(trigger_id: str) -> str:
    return f"{TRIGGER_PREFIX}{trigger_id}"


class TriggersRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, account_id: int, trigger_id: str) -> TriggerRecord:
        """The trigger; NotFound if the account has no such trigger."""
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), trigger_sk(trigger_id)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return _record(from_item(out["Item"]))

    def list_all(self, account_id: int) -> list[TriggerRecord]:
        """Every trigger of the account, oldest first."""
        return [_record(i) for i in query_all(aws.dynamodb(), self.table, account_pk(account_id), TRIGGER_PREFIX)]

    def using_webhook(self, account_id: int, webhook_id: str) -> list[TriggerRecord]:
        """The account's triggers that notify this webhook."""
        return [t for t in self.list_all(account_id) if any(a.webhook_id == webhook_id for a in t.webhook_actions())]

    def create(self, record: TriggerRecord) -> None:
        writes = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._item(record),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            *routes.puts(self.table, routing.trigger_routes(record)),
        ]
        with mapped_errors(conflict="trigger already exists"):
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]

    def replace(self, record: TriggerRecord, previous: TriggerRecord) -> TriggerRecord:
        """Store `record` over `previous` (as read, at record.version) with its routes
        following; a concurrent change is a Conflict. Returns the stored record."""
        stored = record.model_copy(update={"version": record.version + 1})
        removed, added = routing.changes(routing.trigger_routes(previous), routing.trigger_routes(stored))
        writes = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._item(stored),
                    "ConditionExpression": "attribute_exists(PK) AND #version = :expected",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":expected": {"N": str(record.version)}},
                }
            },
            *routes.deletes(self.table, removed),
            *routes.puts(self.table, added),
        ]
        with mapped_errors(conflict=CHANGED):
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        return stored

    def delete(self, record: TriggerRecord) -> None:
        """Remove the trigger (as read: a change since is a Conflict) and its routes."""
        writes = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": key(account_pk(record.account_id), trigger_sk(record.id)),
                    "ConditionExpression": "attribute_exists(PK) AND #version = :expected",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":expected": {"N": str(record.version)}},
                }
            },
            *routes.deletes(self.table, routing.trigger_routes(record)),
        ]
        with mapped_errors(conflict=CHANGED):
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]

    def _item(self, record: TriggerRecord) -> dict[str, Any]:
        # Conditions and actions are kept as JSON text: they are read whole, and a
        # condition's value may be any JSON (floats included).
        data = record.model_dump(mode="json", exclude_none=True)
        for name in ("conditions", "actions"):
            data[name] = _json(data[name])
        return to_item({"PK": account_pk(record.account_id), "SK": trigger_sk(record.id), **data})


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _record(item: dict[str, Any]) -> TriggerRecord:
    data = {k: v for k, v in item.items() if k not in ("PK", "SK")}
    for name in ("conditions", "actions"):
        if isinstance(data.get(name), str):
            data[name] = json.loads(data[name])
    return TriggerRecord.model_validate(data)
