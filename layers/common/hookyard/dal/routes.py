"""The subscription index in the config table (layout: hookyard.routing).

Reads are strongly consistent, so a route removed in a transaction is gone for the next
event. Writes are not made here on their own: the DAL of each thing that routes (webhooks,
triggers, job specs) adds `puts` and `deletes` to the transaction that changes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hookyard import aws
from hookyard.dynamo import from_item, key, to_item
from hookyard.routing import Route

MAX_TRANSACTION_WRITES = 100  # DynamoDB TransactWriteItems


class RouteIndex:
    def __init__(self, table: str) -> None:
        self.table = table

    def page(self, pk: str, after: str | None, limit: int) -> tuple[list[Route], str | None]:
        """Up to `limit` routes of partition `pk` after sort key `after`, and the sort key
        to continue after (None when the partition is done)."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
            "Limit": limit,
        }
        if after:
            params["ExclusiveStartKey"] = key(pk, after)
        out = aws.dynamodb().query(**params)
        routes = [Route.of_item(from_item(item)) for item in out["Items"]]
        last = out.get("LastEvaluatedKey")
        return routes, (last["SK"]["S"] if last else None)


def puts(table: str, routes: Iterable[Route]) -> list[dict[str, Any]]:
    """TransactWriteItems entries that write `routes`."""
    return [{"Put": {"TableName": table, "Item": to_item(route.item())}} for route in routes]


def deletes(table: str, routes: Iterable[Route]) -> list[dict[str, Any]]:
    """TransactWriteItems entries that remove `routes`."""
    return [{"Delete": {"TableName": table, "Key": key(route.pk, route.sk)}} for route in routes]
