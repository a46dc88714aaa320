"""ZIS configs in the config table.

Items (PK=ACCOUNT#<id>):
  SK=CONFIG#<integration>#<scope>  the config: its object as JSON text (configs hold
                                   floats, which DynamoDB numbers would not give back
                                   as they came), created_at, updated_at, and a version
                                   that makes read-merge-write safe against concurrent
                                   merges (the API's PATCH and flows' PatchConfig)

`get` and `patch` are the flow runner's LoadConfig and PatchConfig store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from hookyard import aws, clock
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import decode_cursor, encode_cursor, from_item, key, mapped_errors, query_all, to_item
from hookyard.errors import BadRequest, Conflict, NotFound, PayloadTooLarge
from hookyard.merge_patch import merge_patch
from hookyard.models.configs import MAX_CONFIG_BYTES, MAX_SCOPE_BYTES, ConfigRecord, JsonObject, is_valid_scope

# Concurrent merges of one scope are rare; a few rounds of optimistic locking settle them.
MERGE_ATTEMPTS = 5


def _sk(integration: str, scope: str = "") -> str:
    return f"CONFIG#{integration}#{scope}"


def encode_config(config: JsonObject) -> str:
    """The config as stored: compact JSON text, at most MAX_CONFIG_BYTES."""
    try:
        text = json.dumps(config, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(text.encode())
    except ValueError:  # NaN or Infinity (UnicodeEncodeError is a ValueError too)
        raise BadRequest("config: must be JSON without NaN, Infinity or lone surrogates") from None
    if size > MAX_CONFIG_BYTES:
        raise PayloadTooLarge(
            f"config: is {size} bytes as compact JSON; at most {MAX_CONFIG_BYTES} bytes "
            f"({MAX_CONFIG_BYTES // 1024} KB) are allowed"
        )
    return text


def scope_matcher(pattern: str) -> tuple[str, Callable[[str], bool]]:
    """For a `filter[scope]` pattern (`*` matches any run of characters, case-sensitive):
    the literal prefix every match starts with, and a test for the whole scope."""
    literal = pattern.split("*", 1)[0]
    if "*" not in pattern:
        return literal, lambda scope: scope == pattern
    regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
    return literal, lambda scope: regex.fullmatch(scope) is not None


class ConfigsRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # ------------------------------------------------------------ flow runner
    def get(self, account_id: int, integration: str, scope: str) -> dict[str, Any] | None:
        """The config object of a scope, or None (LoadConfig)."""
        if not is_valid_scope(scope):
            return None  # a scope that cannot be stored does not exist
        record = self.find(account_id, integration, scope)
        return record.config if record else None

    def patch(self, account_id: int, integration: str, scope: str, partial: dict[str, Any]) -> dict[str, Any]:
        """Merge `partial` into the scope's config (RFC 7396), creating the scope if it
        is missing; returns the merged config (PatchConfig). BadRequest for a scope that
        cannot be stored, PayloadTooLarge past MAX_CONFIG_BYTES."""
        if not is_valid_scope(scope):
            raise BadRequest(f"scope: must be 1-{MAX_SCOPE_BYTES} bytes of printable characters without '/'")
        return self.merge(account_id, integration, scope, partial, create=True).config

    # ------------------------------------------------------------ API
    def find(self, account_id: int, integration: str, scope: str) -> ConfigRecord | None:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), _sk(integration, scope)), ConsistentRead=True
        )
        return _record(from_item(out["Item"])) if "Item" in out else None

    def create(self, account_id: int, integration: str, scope: str, config: JsonObject) -> ConfigRecord:
        """Store a new scope; Conflict if it exists."""
        now = clock.now()
        record = ConfigRecord(integration=integration, scope=scope, config=config, created_at=now, updated_at=now)
        with mapped_errors(conflict=f"config scope {scope} already exists in integration {integration}"):
            aws.dynamodb().put_item(
                TableName=self.table,
                Item=self._item(account_id, record),
                ConditionExpression="attribute_not_exists(PK)",
            )
        return record

    def list(
        self, account_id: int, integration: str, limit: int, after: str | None, scope_filter: str | None = None
    ) -> tuple[list[ConfigRecord], str | None]:
        """A page of the integration's configs by scope, those matching `scope_filter` only."""
        pk = account_pk(account_id)
        prefix, matches = _sk(integration), None
        if scope_filter:
            literal, matches = scope_matcher(scope_filter)
            prefix += literal  # DynamoDB narrows to the pattern's literal start
        start = decode_cursor(after, pk, prefix)
        found: list[ConfigRecord] = []
        for item in self._query(pk, prefix, start, page=limit + 1):
            record = _record(item)
            if matches is None or matches(record.scope):
                found.append(record)
                if len(found) > limit:
                    break
        page = found[:limit]
        cursor = encode_cursor(key(pk, _sk(integration, page[-1].scope))) if len(found) > limit else None
        return page, cursor

    def replace(self, account_id: int, integration: str, scope: str, config: JsonObject) -> ConfigRecord:
        """Replace the scope's config; NotFound if the scope does not exist."""
        with mapped_errors():
            try:
                out = aws.dynamodb().update_item(
                    TableName=self.table,
                    Key=key(account_pk(account_id), _sk(integration, scope)),
                    UpdateExpression="SET #config = :config, updated_at = :now ADD #version :one",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeNames={"#config": "config", "#version": "version"},
                    ExpressionAttributeValues={
                        ":config": {"S": encode_config(config)},
                        ":now": {"S": clock.iso(clock.now())},
                        ":one": {"N": "1"},
                    },
                    ReturnValues="ALL_NEW",
                )
            except aws.dynamodb().exceptions.ConditionalCheckFailedException:
                raise NotFound() from None
        return _record(from_item(out["Attributes"]))

    def merge(
        self, account_id: int, integration: str, scope: str, partial: JsonObject, *, create: bool = False
    ) -> ConfigRecord:
        """Merge `partial` into the scope's config (RFC 7396). A missing scope is NotFound,
        or with `create` is created from the patch. Conflict if concurrent merges keep
        winning the race."""
        for _ in range(MERGE_ATTEMPTS):
            current = self.find(account_id, integration, scope)
            if current is None:
                if not create:
                    raise NotFound()
                try:
                    return self.create(account_id, integration, scope, merge_patch({}, partial))
                except Conflict:
                    continue  # created meanwhile: merge into that one
            now = clock.now()
            merged = current.model_copy(
                update={
                    "config": merge_patch(current.config, partial),
                    "updated_at": now,
                    "version": current.version + 1,
                }
            )
            with mapped_errors():
                try:
                    aws.dynamodb().put_item(
                        TableName=self.table,
                        Item=self._item(account_id, merged),
                        ConditionExpression="#version = :seen",
                        ExpressionAttributeNames={"#version": "version"},
                        ExpressionAttributeValues={":seen": {"N": str(current.version)}},
                    )
                except aws.dynamodb().exceptions.ConditionalCheckFailedException:
                    continue  # changed or deleted meanwhile: read again
            return merged
        raise Conflict(f"config scope {scope} is changing concurrently, retry")

    def delete(self, account_id: int, integration: str, scope: str) -> None:
        """Delete the scope; NotFound if it does not exist."""
        with mapped_errors():
            try:
                aws.dynamodb().delete_item(
                    TableName=self.table,
                    Key=key(account_pk(account_id), _sk(integration, scope)),
                    ConditionExpression="attribute_exists(PK)",
                )
            except aws.dynamodb().exceptions.ConditionalCheckFailedException:
                raise NotFound() from None

    # ------------------------------------------------------------ helpers
    def _query(self, pk: str, prefix: str, start: dict[str, Any] | None, page: int) -> Iterator[dict[str, Any]]:
        return query_all(aws.dynamodb(), self.table, pk, prefix, start=start, page=page)

    def _item(self, account_id: int, record: ConfigRecord) -> dict[str, Any]:
        return to_item(
            {
                "PK": account_pk(account_id),
                "SK": _sk(record.integration, record.scope),
                "integration": record.integration,
                "scope": record.scope,
                "config": encode_config(record.config),
                "created_at": clock.iso(record.created_at),
                "updated_at": clock.iso(record.updated_at),
                "version": record.version,
            }
        )


def _record(item: dict[str, Any]) -> ConfigRecord:
    return ConfigRecord(
        integration=item["integration"],
        scope=item["scope"],
        config=json.loads(item["config"]),
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        version=item.get("version", 1),
    )
