"""Inbound webhooks in the config table.

Items (written and removed together, in one transaction):
  PK=ACCOUNT#<id>      SK=IWH#<integration>#<uuid>  the webhook
  PK=INGEST#<sha256>   SK=INGEST                    ingest lookup by the path token's hash
"""

from __future__ import annotations

from typing import Any

from hookyard import aws, clock
from hookyard.dal.accounts import account_pk
from hookyard.dal.ingest_lookup import ingest_key
from hookyard.dynamo import from_item, key, mapped_errors, query_page, to_item
from hookyard.errors import NotFound
from hookyard.models.inbound_webhooks import InboundWebhookRecord
from hookyard.secrets import sha256_hex


def _sk(integration: str, uuid: str = "") -> str:
    return f"IWH#{integration}#{uuid}"


class InboundWebhooksRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def create(self, record: InboundWebhookRecord) -> None:
        with mapped_errors(conflict="inbound webhook already exists"):
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": self._item(record),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": self._ingest_item(record),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                ]
            )

    def get(self, account_id: int, integration: str, uuid: str) -> InboundWebhookRecord:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), _sk(integration, uuid)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return _record(from_item(out["Item"]))

    def list(
        self, account_id: int, integration: str, limit: int, after: str | None
    ) -> tuple[list[InboundWebhookRecord], str | None]:
        items, cursor = query_page(aws.dynamodb(), self.table, account_pk(account_id), _sk(integration), limit, after)
        return [_record(i) for i in items], cursor

    def delete(self, account_id: int, integration: str, uuid: str) -> None:
        record = self.get(account_id, integration, uuid)
        with mapped_errors(conflict="inbound webhook changed meanwhile, retry"):  # busy storage: a 503, not a 500
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self.table, "Key": key(account_pk(account_id), _sk(integration, uuid))}},
                    {"Delete": {"TableName": self.table, "Key": ingest_key(record.token)}},
                ]
            )

    def replace_credentials(self, record: InboundWebhookRecord, username: str, password_hash: str) -> None:
        """Swap the webhook's credentials on both items at once; the old ones stop working."""
        values = {":u": {"S": username}, ":p": {"S": password_hash}}
        update = "SET username = :u, password_hash = :p"
        with mapped_errors(conflict="inbound webhook changed meanwhile, retry"):
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": key(account_pk(record.account_id), _sk(record.integration, record.uuid)),
                            "UpdateExpression": update,
                            "ExpressionAttributeValues": values,
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": ingest_key(record.token),
                            "UpdateExpression": update,
                            "ExpressionAttributeValues": values,
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                ]
            )

    def _item(self, record: InboundWebhookRecord) -> dict[str, Any]:
        data = record.model_dump()
        data["created_at"] = clock.iso(record.created_at)
        return to_item({"PK": account_pk(record.account_id), "SK": _sk(record.integration, record.uuid), **data})

    def _ingest_item(self, record: InboundWebhookRecord) -> dict[str, Any]:
        return to_item(
            {
                "PK": f"INGEST#{sha256_hex(record.token)}",
                "SK": "INGEST",
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
        )


def _record(item: dict[str, Any]) -> InboundWebhookRecord:
    return InboundWebhookRecord.model_validate({k: v for k, v in item.items() if k not in ("PK", "SK")})
