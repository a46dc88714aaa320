"""ZIS connections in the config table.

Items (PK=ACCOUNT#<id>):
  SK=CONN#<integration>#<name>  the connection, whatever its type (so a name is unique
                                across types within an integration); its secret sealed
                                with the stack's KMS key (crypto.seal, context: account,
                                integration, connection name), never stored in clear

`resolve` is the flow runner's entry: it opens the secret for one action's headers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from hookyard import aws, clock, crypto
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import from_item, key, mapped_errors, put_if_version, query_page, to_item
from hookyard.errors import NotFound
from hookyard.models.connections import ConnectionRecord, ConnectionType, ResolvedConnection


def _sk(integration: str, name: str = "") -> str:
    return f"CONN#{integration}#{name}"


def seal_context(account_id: int, integration: str, name: str) -> dict[str, str]:
    """KMS encryption context: a sealed secret opens only for its own connection."""
    return {"account_id": str(account_id), "integration": integration, "connection": name}


def seal_secret(account_id: int, integration: str, name: str, secret: str) -> str:
    return crypto.seal(secret, seal_context(account_id, integration, name))


class ConnectionsRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def create(self, record: ConnectionRecord) -> None:
        """Store a new connection; Conflict if the name is taken (by any type)."""
        with mapped_errors(conflict=f"connection {record.name} already exists in integration {record.integration}"):
            aws.dynamodb().put_item(
                TableName=self.table, Item=self._item(record), ConditionExpression="attribute_not_exists(PK)"
            )

    def get(self, account_id: int, integration: str, name: str) -> ConnectionRecord:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), _sk(integration, name)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return _record(from_item(out["Item"]))

    def list(
        self, account_id: int, integration: str, limit: int, after: str | None
    ) -> tuple[list[ConnectionRecord], str | None]:
        """A page of the integration's connections, by name."""
        items, cursor = query_page(aws.dynamodb(), self.table, account_pk(account_id), _sk(integration), limit, after)
        return [_record(i) for i in items], cursor

    def replace(self, record: ConnectionRecord, expected_version: int) -> None:
        """Write a changed connection, if nobody changed it since `expected_version` was read."""
        conflict = f"connection {record.name} changed meanwhile, retry"
        put_if_version(aws.dynamodb(), self.table, self._item(record), expected_version, conflict)

    def delete(self, account_id: int, integration: str, name: str, connection_type: ConnectionType) -> None:
        """Delete the connection of that name and type; NotFound if there is none."""
        with mapped_errors():
            try:
                aws.dynamodb().delete_item(
                    TableName=self.table,
                    Key=key(account_pk(account_id), _sk(integration, name)),
                    ConditionExpression="#type = :type",
                    ExpressionAttributeNames={"#type": "type"},
                    ExpressionAttributeValues={":type": {"S": connection_type.value}},
                )
            except aws.dynamodb().exceptions.ConditionalCheckFailedException:
                raise NotFound() from None

    def resolve(self, account_id: int, integration: str, name: str) -> ResolvedConnection:
        """The connection with its secret open, for the flow runner; NotFound if missing."""
        record = self.get(account_id, integration, name)
        secret = crypto.unseal(record.secret_sealed, seal_context(account_id, integration, name))
        base_url = record.effective_base_url
        return ResolvedConnection(
            name=record.name,
            type=record.type,
            allowed_domain=record.allowed_domain,
            base_url=base_url or "",
            username=record.username,
            header_name=record.header_name,
            secret=secret,
            insecure_http=urlsplit(base_url or "").scheme == "http",
        )

    def _item(self, record: ConnectionRecord) -> dict[str, Any]:
        data = record.model_dump()
        data["type"] = record.type.value
        data["created_at"] = clock.iso(record.created_at)
        data["updated_at"] = clock.iso(record.updated_at)
        return to_item({"PK": account_pk(record.account_id), "SK": _sk(record.integration, record.name), **data})


def _record(item: dict[str, Any]) -> ConnectionRecord:
    return ConnectionRecord.model_validate({k: v for k, v in item.items() if k not in ("PK", "SK")})
