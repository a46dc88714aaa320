"""Zendesk sources in the config table.

Items (written and removed together, in one transaction):
  PK=ACCOUNT#<id>      SK=ZDS#<integration>#<uuid>  the source
  PK=INGEST#<sha256>   SK=INGEST                    ingest lookup by the path token's hash,
                                                    kind "zendesk" (hookyard.dal.ingest_lookup)
"""

from __future__ import annotations

from typing import Any

from hookyard import aws, clock
from hookyard.dal.accounts import account_pk
from hookyard.dal.ingest_lookup import ZENDESK_KIND, ingest_key
from hookyard.dynamo import from_item, key, mapped_errors, query_page, to_item
from hookyard.errors import NotFound
from hookyard.models.zendesk_sources import ZendeskSourceRecord


def _sk(integration: str, uuid: str = "") -> str:
    return f"ZDS#{integration}#{uuid}"


class ZendeskSourcesRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def create(self, record: ZendeskSourceRecord) -> None:
        with mapped_errors(conflict="zendesk source already exists"):
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

    def get(self, account_id: int, integration: str, uuid: str) -> ZendeskSourceRecord:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), _sk(integration, uuid)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return _record(from_item(out["Item"]))

    def list(
        self, account_id: int, integration: str, limit: int, after: str | None
    ) -> tuple[list[ZendeskSourceRecord], str | None]:
        items, cursor = query_page(aws.dynamodb(), self.table, account_pk(account_id), _sk(integration), limit, after)
        return [_record(i) for i in items], cursor

    def delete(self, account_id: int, integration: str, uuid: str) -> None:
        record = self.get(account_id, integration, uuid)
        with mapped_errors(conflict="zendesk source changed meanwhile, retry"):  # busy storage: a 503, not a 500
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self.table, "Key": key(account_pk(account_id), _sk(integration, uuid))}},
                    {"Delete": {"TableName": self.table, "Key": ingest_key(record.token)}},
                ]
            )

    def replace_signing_secret(self, record: ZendeskSourceRecord) -> None:
        """Store `record`'s new sealed secret and test mode on both items at once; the old
        secret stops working."""
        assert record.signing_secret_sealed is not None
        values: dict[str, Any] = {
            ":s": {"S": record.signing_secret_sealed},
            ":t": {"BOOL": record.test_mode},
            ":u": {"S": clock.iso(record.updated_at or clock.now())},
        }
        with mapped_errors(conflict="zendesk source changed meanwhile, retry"):
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": key(account_pk(record.account_id), _sk(record.integration, record.uuid)),
                            "UpdateExpression": "SET signing_secret_sealed = :s, test_mode = :t, updated_at = :u",
                            "ExpressionAttributeValues": values,
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": ingest_key(record.token),
                            "UpdateExpression": "SET signing_secret_sealed = :s, test_mode = :t",
                            "ExpressionAttributeValues": {":s": values[":s"], ":t": values[":t"]},
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                ]
            )

    def _item(self, record: ZendeskSourceRecord) -> dict[str, Any]:
        data = record.model_dump()
        data["created_at"] = clock.iso(record.created_at)
        data["updated_at"] = clock.iso(record.updated_at) if record.updated_at else None
        return to_item({"PK": account_pk(record.account_id), "SK": _sk(record.integration, record.uuid), **data})

    def _ingest_item(self, record: ZendeskSourceRecord) -> dict[str, Any]:
        return {
            **ingest_key(record.token),
            **to_item(
                {
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
            ),
        }


def _record(item: dict[str, Any]) -> ZendeskSourceRecord:
    return ZendeskSourceRecord.model_validate({k: v for k, v in item.items() if k not in ("PK", "SK")})
