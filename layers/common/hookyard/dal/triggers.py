"""Triggers in the config table, and the EventBridge rule of each active trigger. Used by
the webhooks API (everything) and the delivery function (`get`).

Items (PK=ACCOUNT#<id>):
  SK=TRIGGER#<trigger id>     the trigger: conditions and actions as given, the compiled
                              rule pattern, and the residual conditions the pattern
                              cannot express (checked by the delivery function)

Rules: an active trigger has exactly one rule, rules.rule_name("tr", account, trigger id),
with the DeliveryQueue as target and the input
{"kind": "trigger", "account_id": <int>, "trigger_id": "<id>", "event": <detail>}.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from hookyard import aws, rules
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import from_item, key, mapped_errors, put_if_version, query_all, to_item
from hookyard.errors import BadRequest, NotFound
from hookyard.models.triggers import TriggerRecord

TRIGGER_PREFIX = "TRIGGER#"
RULE_KIND = "tr"


def trigger_sk(trigger_id: str) -> str:
    return f"{TRIGGER_PREFIX}{trigger_id}"


def trigger_rule_name(account_id: int, trigger_id: str) -> str:
    return rules.rule_name(RULE_KIND, account_id, trigger_id)


class TriggersRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, account_id: int, trigger_id: str) -> TriggerRecord:
        """The trigger with its webhook actions and residual conditions; NotFound if the
        account has no such trigger."""
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
        with mapped_errors(conflict="trigger already exists"):
            aws.dynamodb().put_item(
                TableName=self.table, Item=self._item(record), ConditionExpression="attribute_not_exists(PK)"
            )

    def replace(self, record: TriggerRecord) -> TriggerRecord:
        """Store `record` over the version it was read at; a concurrent change is a Conflict."""
        stored = record.model_copy(update={"version": record.version + 1})
        conflict = "the trigger changed meanwhile; read it again and retry"
        put_if_version(aws.dynamodb(), self.table, self._item(stored), record.version, conflict)
        return stored

    def delete(self, account_id: int, trigger_id: str) -> None:
        try:
            aws.dynamodb().delete_item(
                TableName=self.table,
                Key=key(account_pk(account_id), trigger_sk(trigger_id)),
                ConditionExpression="attribute_exists(PK)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise NotFound() from exc
            with mapped_errors():
                raise

    def _item(self, record: TriggerRecord) -> dict[str, Any]:
        # Conditions, actions and the pattern are kept as JSON text: they are read whole,
        # and a condition's value may be any JSON (floats included).
        data = record.model_dump(mode="json", exclude_none=True)
        for name in ("conditions", "actions", "pattern", "residual_conditions"):
            data[name] = _json(data[name])
        return to_item({"PK": account_pk(record.account_id), "SK": trigger_sk(record.id), **data})


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _record(item: dict[str, Any]) -> TriggerRecord:
    data = {k: v for k, v in item.items() if k not in ("PK", "SK")}
    for name in ("conditions", "actions", "pattern", "residual_conditions"):
        if isinstance(data.get(name), str):
            data[name] = json.loads(data[name])
    return TriggerRecord.model_validate(data)


def sync_trigger_rule(record: TriggerRecord, *, event_bus: str, queue_arn: str) -> None:
    """Make the rules match the record: one rule while the trigger is active, none
    otherwise. Idempotent, so running it again repairs drift."""
    if not record.active:
        delete_trigger_rule(record.account_id, record.id, event_bus=event_bus)
        return
    try:
        rules.put_rule(
            event_bus,
            record.rule_name,
            record.pattern,
            queue_arn,
            fields={"kind": "trigger", "account_id": record.account_id, "trigger_id": record.id},
            paths={"event": "$.detail"},
            description=f"trigger {record.id} ({record.title})",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("InvalidEventPatternException", "ValidationException"):
            raise BadRequest(f"conditions: EventBridge refused the pattern: {exc}") from exc
        raise


def delete_trigger_rule(account_id: int, trigger_id: str, *, event_bus: str) -> None:
    rules.delete_rule(event_bus, trigger_rule_name(account_id, trigger_id))
