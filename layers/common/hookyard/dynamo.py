"""DynamoDB at the edge: plain Python values in and out, errors mapped by code.

Numbers are written as ints (no floats reach DynamoDB) and read back as ints, so
no `Decimal` leaves the data layer.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from hookyard import jsonlimits
from hookyard.errors import BadRequest, Conflict, ServiceUnavailable

Item = dict[str, Any]


def serialize(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, Mapping):
        return {"M": {k: serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def deserialize(attr: Mapping[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "B":
        return bytes(value)
    if kind == "M":
        return {k: deserialize(v) for k, v in value.items()}
    if kind == "L":
        return [deserialize(v) for v in value]
    raise TypeError(f"unsupported DynamoDB type {kind}")


def pack(text: str) -> bytes:
    """Text as a compressed binary attribute: request and response payloads kept with
    their attempts are mostly JSON, which zlib shrinks to a fraction (fewer write units)."""
    return zlib.compress(text.encode(), 6)


def unpack(data: bytes) -> str:
    return zlib.decompress(data).decode()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> Item:
    return {k: deserialize(v) for k, v in item.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def encode_cursor_token(position: Mapping[str, Any]) -> str:
    """The text of every cursor the APIs hand out: `position` as compact JSON, base64url
    without padding (opaque to clients, safe in a query string)."""
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor_token(token: str) -> Any:
    """The position `encode_cursor_token` wrote; ValueError if `token` is not one (what
    the position must hold is the caller's to check)."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return jsonlimits.loads(text)  # a client's text: nesting is bounded
    except (binascii.Error, ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError("not a cursor") from exc


def encode_cursor(last_key: Mapping[str, Any] | None) -> str | None:
    """An opaque cursor holding only the sort key: the partition comes from the caller,
    so a crafted cursor cannot reach another account's items."""
    if not last_key:
        return None
    return encode_cursor_token({"sk": last_key["SK"]["S"]})


def decode_cursor(cursor: str | None, pk: str, sk_prefix: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        sk = decode_cursor_token(cursor)["sk"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("page[after]: not a cursor this API returned") from exc
    if not isinstance(sk, str) or not sk.startswith(sk_prefix):
        raise BadRequest("page[after]: not a cursor this API returned")
    return key(pk, sk)


def query_all(
    client: Any,
    table: str,
    pk: str,
    prefix: str = "",
    *,
    start: Mapping[str, Any] | None = None,
    page: int | None = None,
    consistent: bool = False,
) -> Iterator[Item]:
    """Every item under `pk` whose sort key starts with `prefix`, in sort-key order,
    read `page` items per query (DynamoDB's 1 MB page when None), after `start`."""
    params: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
    }
    if not prefix:  # DynamoDB refuses an empty string in a key condition
        params["KeyConditionExpression"] = "PK = :pk"
        del params["ExpressionAttributeValues"][":prefix"]
    if page:
        params["Limit"] = page
    if consistent:
        params["ConsistentRead"] = True
    if start:
        params["ExclusiveStartKey"] = start
    while True:
        out = client.query(**params)
        for item in out["Items"]:
            yield from_item(item)
        if "LastEvaluatedKey" not in out:
            return
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def query_page(
    client: Any, table: str, pk: str, prefix: str, limit: int, after: str | None
) -> tuple[list[Item], str | None]:
    """One page of the items under `pk` whose sort key starts with `prefix`, in sort-key
    order, from the caller's `after` cursor; returns the items and the next cursor.

    DynamoDB reports a last key whenever a page is full, so a full page looks one item
    further: the cursor is None (no "has_more") when nothing follows.
    """
    params: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        "Limit": limit,
    }
    start = decode_cursor(after, pk, prefix)
    if start:
        params["ExclusiveStartKey"] = start
    out = client.query(**params)
    last = out.get("LastEvaluatedKey")
    if last and len(out["Items"]) == limit:
        peek = client.query(**{**params, "Limit": 1, "ExclusiveStartKey": last})
        if not peek["Items"]:
            last = None
    return [from_item(i) for i in out["Items"]], encode_cursor(last)


def put_if_version(client: Any, table: str, item: Mapping[str, Any], expected_version: int, conflict: str) -> None:
    """Put `item` over a stored item whose `version` is still `expected_version`
    (optimistic locking); Conflict(`conflict`) if it is gone or changed meanwhile."""
    with mapped_errors(conflict=conflict):
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_exists(PK) AND #version = :expected",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
        )


@contextmanager
def mapped_errors(conflict: str = "already exists") -> Iterator[None]:
    """Turn DynamoDB failures a caller can act on into domain errors, by error code."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise Conflict(conflict) from exc
        if code == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons", [])
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise Conflict(conflict) from exc
            raise ServiceUnavailable("storage is busy, retry later") from exc
        if code in {
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "RequestLimitExceeded",
            "InternalServerError",
            "ServiceUnavailable",
        }:
            raise ServiceUnavailable("storage is busy, retry later") from exc
        raise
