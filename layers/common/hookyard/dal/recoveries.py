"""Recoveries in the activity table, beside their webhook's invocations; they expire with
them (TTL).

Item: PK=INV#<account>#<webhook id>  SK=RECOVERY#<recovery id>
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hookyard import aws, clock
from hookyard.dal.invocations import invocations_pk
from hookyard.dynamo import from_item, key, mapped_errors, to_item
from hookyard.errors import NotFound
from hookyard.models.webhooks import RecoveryRecord


def _sk(recovery_id: str) -> str:
    return f"RECOVERY#{recovery_id}"


class RecoveriesRepository:
    def __init__(self, table: str, retention_days: int = 7) -> None:
        self.table = table
        self.retention = timedelta(days=retention_days)

    def create(self, record: RecoveryRecord) -> None:
        item = {
            "PK": invocations_pk(record.account_id, record.webhook_id),
            "SK": _sk(record.id),
            **record.model_dump(mode="json"),
            "expires_at": int((clock.now() + self.retention).timestamp()),
        }
        with mapped_errors(conflict="recovery already exists"):
            aws.dynamodb().put_item(
                TableName=self.table, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
            )

    def get(self, account_id: int, webhook_id: str, recovery_id: str) -> RecoveryRecord:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(invocations_pk(account_id, webhook_id), _sk(recovery_id)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return _record(from_item(out["Item"]))

    def progress(self, account_id: int, webhook_id: str, recovery_id: str, sent: int, done: bool) -> None:
        """Count `sent` more invocations sent again; `done`: the last page is sent."""
        values: dict[str, Any] = {":sent": {"N": str(sent)}}
        update = "ADD sent :sent"
        if done:
            update += " SET #status = :done"
            values[":done"] = {"S": "done"}
        aws.dynamodb().update_item(
            TableName=self.table,
            Key=key(invocations_pk(account_id, webhook_id), _sk(recovery_id)),
            UpdateExpression=update,
            ExpressionAttributeValues=values,
            **({"ExpressionAttributeNames": {"#status": "status"}} if done else {}),  # type: ignore[arg-type]
        )


def _record(item: dict[str, Any]) -> RecoveryRecord:
    return RecoveryRecord.model_validate({k: v for k, v in item.items() if k in RecoveryRecord.model_fields})
