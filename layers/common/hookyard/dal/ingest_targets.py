"""What ingest answers for, in the config table: an item under the account and its ingest
lookup, written and removed together in one transaction (inbound webhooks, Zendesk sources).

Items:
  PK=ACCOUNT#<id>      SK=<PREFIX>#<integration>#<uuid>  the record
  PK=INGEST#<sha256>   SK=INGEST                         ingest's lookup by the path token's
                                                         hash (hookyard.dal.ingest_lookup)
"""

from __future__ import annotations

from typing import Any, ClassVar

from hookyard import aws, clock
from hookyard.dal.accounts import account_pk
from hookyard.dal.ingest_lookup import ingest_key
from hookyard.dynamo import from_item, key, mapped_errors, query_page, serialize, to_item
from hookyard.errors import NotFound
from hookyard.models.common import IngestTargetRecord


class IngestTargetsRepository[Record: IngestTargetRecord]:
    """Create, read, list and delete one kind of ingest target, and change both its items at
    once. A subclass names its sort key prefix (PREFIX), its record model (MODEL), what it is
    called in errors (NOUN) and what ingest's lookup item holds (`_lookup`)."""

    PREFIX: ClassVar[str]
    MODEL: ClassVar[type[IngestTargetRecord]]
    NOUN: ClassVar[str]

    def __init__(self, table: str) -> None:
        self.table = table

    def _sk(self, integration: str, uuid: str = "") -> str:
        return f"{self.PREFIX}#{integration}#{uuid}"

    def _key(self, record: Record) -> dict[str, Any]:
        return key(account_pk(record.account_id), self._sk(record.integration, record.uuid))

    def create(self, record: Record) -> None:
        new = "attribute_not_exists(PK)"
        lookup = {**ingest_key(record.token), **to_item(self._lookup(record))}
        with mapped_errors(conflict=f"{self.NOUN} already exists"):
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": self._item(record), "ConditionExpression": new}},
                    {"Put": {"TableName": self.table, "Item": lookup, "ConditionExpression": new}},
                ]
            )

    def get(self, account_id: int, integration: str, uuid: str) -> Record:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), self._sk(integration, uuid)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return self._record(from_item(out["Item"]))

    def list(self, account_id: int, integration: str, limit: int, after: str | None) -> tuple[list[Record], str | None]:
        pk = account_pk(account_id)
        items, cursor = query_page(aws.dynamodb(), self.table, pk, self._sk(integration), limit, after)
        return [self._record(i) for i in items], cursor

    def delete(self, account_id: int, integration: str, uuid: str) -> None:
        record = self.get(account_id, integration, uuid)
        with mapped_errors(conflict=f"{self.NOUN} changed meanwhile, retry"):  # busy storage: a 503, not a 500
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self.table, "Key": self._key(record)}},
                    {"Delete": {"TableName": self.table, "Key": ingest_key(record.token)}},
                ]
            )

    def _update_both(self, record: Record, own: dict[str, Any], lookup: dict[str, Any]) -> None:
        """SET `own` on the record's item and `lookup` on its ingest lookup at once, so the
        old values stop working together; both items must exist (None values: not allowed)."""

        def update(item_key: dict[str, Any], values: dict[str, Any]) -> Any:  # a TransactWriteItem
            return {
                "Update": {
                    "TableName": self.table,
                    "Key": item_key,
                    "UpdateExpression": "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
                    "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(values)},
                    "ExpressionAttributeValues": {f":v{i}": serialize(v) for i, v in enumerate(values.values())},
                    "ConditionExpression": "attribute_exists(PK)",
                }
            }

        with mapped_errors(conflict=f"{self.NOUN} changed meanwhile, retry"):
            aws.dynamodb().transact_write_items(
                TransactItems=[update(self._key(record), own), update(ingest_key(record.token), lookup)]
            )

    def _item(self, record: Record) -> dict[str, Any]:
        data = record.model_dump()
        for name in ("created_at", "updated_at"):
            if data.get(name) is not None:
                data[name] = clock.iso(data[name])
        return to_item({"PK": account_pk(record.account_id), "SK": self._sk(record.integration, record.uuid), **data})

    def _lookup(self, record: Record) -> dict[str, Any]:
        """The attributes of ingest's lookup item (beside its key)."""
        raise NotImplementedError

    def _record(self, item: dict[str, Any]) -> Record:
        return self.MODEL.model_validate({k: v for k, v in item.items() if k not in ("PK", "SK")})  # type: ignore[return-value]
