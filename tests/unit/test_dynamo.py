"""hookyard.dynamo: plain values at the DynamoDB edge, cursors, and error mapping."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from hookyard.dynamo import (
    decode_cursor,
    decode_cursor_token,
    deserialize,
    encode_cursor,
    encode_cursor_token,
    from_item,
    key,
    mapped_errors,
    put_if_version,
    query_all,
    query_page,
    serialize,
    to_item,
)
from hookyard.errors import BadRequest, Conflict, ServiceUnavailable

PK = "ACCOUNT#1"


def _client_error(code: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "test"}, **extra}, "PutItem")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# ------------------------------------------------------------------ values


@pytest.mark.parametrize(
    "value",
    [
        "hello",
        "",
        0,
        42,
        -7,
        10**20,
        True,
        False,
        None,
        {"a": 1, "b": {"c": [1, "two", None, False]}},
        [1, [2, [3]], {"k": "v"}],
        {},
        [],
    ],
)
def test_serialize_then_deserialize_returns_the_same_value(value: Any) -> None:
    # When
    result = deserialize(serialize(value))

    # Then
    assert result == value
    assert type(result) is type(value)


def test_serialize_writes_an_int_as_a_whole_number_string() -> None:
    # When
    attr = serialize(42)

    # Then
    assert attr == {"N": "42"}


def test_serialize_writes_a_bool_as_bool_not_number() -> None:
    # When
    attr = serialize(True)

    # Then
    assert attr == {"BOOL": True}


def test_deserialize_reads_a_number_as_int_never_decimal() -> None:
    # When
    value = deserialize({"N": "1234567890123"})

    # Then
    assert type(value) is int
    assert not isinstance(value, Decimal)


def test_deserialize_reads_nested_numbers_as_ints() -> None:
    # Given
    attr = {"M": {"count": {"N": "3"}, "list": {"L": [{"N": "-1"}]}}}

    # When
    value = deserialize(attr)

    # Then
    assert value == {"count": 3, "list": [-1]}
    assert type(value["count"]) is int
    assert type(value["list"][0]) is int


def test_bytes_are_a_binary_attribute_and_packed_text_round_trips() -> None:
    from hookyard.dynamo import pack, unpack

    packed = pack('{"payload": "' + "x" * 2000 + '"}')

    assert serialize(packed) == {"B": packed}
    assert deserialize({"B": packed}) == packed
    assert len(packed) < 100
    assert unpack(packed) == '{"payload": "' + "x" * 2000 + '"}'


@pytest.mark.parametrize("value", [1.5, Decimal("1"), {1, 2}])
def test_serialize_refuses_values_dynamodb_should_not_hold(value: Any) -> None:
    # When / Then
    with pytest.raises(TypeError, match="cannot store"):
        serialize(value)


def test_serialize_refuses_a_float_nested_in_a_map() -> None:
    # When / Then
    with pytest.raises(TypeError, match="float"):
        serialize({"ratio": 0.5})


def test_to_item_drops_none_attributes() -> None:
    # When
    item = to_item({"name": "a", "count": 2, "deleted_at": None})

    # Then
    assert item == {"name": {"S": "a"}, "count": {"N": "2"}}


def test_from_item_reverses_to_item() -> None:
    # Given
    values = {"PK": PK, "count": 2, "flags": {"on": True}, "tags": ["x"]}

    # When
    result = from_item(to_item(values))

    # Then
    assert result == values


# ------------------------------------------------------------------ cursors


def test_encode_cursor_without_a_last_key_is_none() -> None:
    # When / Then
    assert encode_cursor(None) is None
    assert encode_cursor({}) is None


def test_encode_cursor_is_url_safe_and_unpadded() -> None:
    # When
    cursor = encode_cursor(key(PK, "WEBHOOK#my_integration#01FDXQXBGQRZ3XN28WKX559PR2"))

    # Then
    assert cursor is not None
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_cursor_round_trip_returns_the_last_key() -> None:
    # Given
    last_key = key(PK, "WEBHOOK#my_integration#01FDXQXBGQRZ3XN28WKX559PR2")
    cursor = encode_cursor(last_key)

    # When
    decoded = decode_cursor(cursor, PK, "WEBHOOK#my_integration#")

    # Then
    assert decoded == last_key


def test_decode_cursor_takes_the_partition_from_the_caller_not_the_cursor() -> None:
    # Given a cursor made while paging another account's items
    cursor = encode_cursor(key("ACCOUNT#2", "WEBHOOK#x#1"))

    # When
    decoded = decode_cursor(cursor, PK, "WEBHOOK#")

    # Then
    assert decoded == key(PK, "WEBHOOK#x#1")


@pytest.mark.parametrize("cursor", [None, ""])
def test_decode_cursor_without_a_cursor_is_none(cursor: str | None) -> None:
    # When / Then
    assert decode_cursor(cursor, PK, "WEBHOOK#") is None


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "a",
        _b64(b"not json"),
        _b64(b"[1, 2]"),
        _b64(b'"a string"'),
        _b64(b'{"other": "WEBHOOK#1"}'),
        _b64(b'{"sk": 5}'),
        _b64(b"\xff\xfe"),
    ],
)
def test_decode_cursor_refuses_garbage_naming_page_after(cursor: str) -> None:
    # When / Then
    with pytest.raises(BadRequest, match=r"page\[after\]"):
        decode_cursor(cursor, PK, "WEBHOOK#")


def test_decode_cursor_refuses_a_sort_key_outside_the_prefix() -> None:
    # Given a well-formed cursor for another kind of item
    cursor = _b64(json.dumps({"sk": "TOKEN#01FDXQXBGQRZ3XN28WKX559PR2"}).encode())

    # When / Then
    with pytest.raises(BadRequest, match=r"page\[after\]"):
        decode_cursor(cursor, PK, "WEBHOOK#")


def test_a_cursor_token_round_trips_any_json_object_url_safe_and_unpadded() -> None:
    # Given the position of an in-memory page (the webhooks API sorts by name)
    position = {"o": "-name", "k": ["ticket replies é", "01FDXQXBGQRZ3XN28WKX559PR2"]}

    # When
    token = encode_cursor_token(position)

    # Then
    assert decode_cursor_token(token) == position
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("token", ["!!!", "a", _b64(b"not json"), _b64(b"\xff\xfe")])
def test_a_cursor_token_that_is_not_one_is_a_value_error(token: str) -> None:
    # When / Then
    with pytest.raises(ValueError, match="not a cursor"):
        decode_cursor_token(token)


# ------------------------------------------------------------------ pages


@pytest.fixture
def table() -> Any:
    """A moto table holding five items under the prefix and one outside it."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        )
        for n in range(5):
            client.put_item(TableName="t", Item=to_item({"PK": PK, "SK": f"HOOK#{n}", "n": n}))
        client.put_item(TableName="t", Item=to_item({"PK": PK, "SK": "ZZZ#other", "n": 99}))
        yield client


def _walk(client: Any, limit: int) -> list[list[int]]:
    pages, after = [], None
    while True:
        items, after = query_page(client, "t", PK, "HOOK#", limit, after)
        pages.append([i["n"] for i in items])
        if after is None:
            return pages


def test_query_page_walks_every_item_under_the_prefix_in_order(table: Any) -> None:
    assert _walk(table, 2) == [[0, 1], [2, 3], [4]]


def test_query_page_gives_no_cursor_when_a_full_page_is_the_last(table: Any) -> None:
    assert _walk(table, 5) == [[0, 1, 2, 3, 4]]
    assert _walk(table, 1) == [[0], [1], [2], [3], [4]]


def test_query_all_reads_every_page_under_the_prefix(table: Any) -> None:
    assert [i["n"] for i in query_all(table, "t", PK, "HOOK#", page=2)] == [0, 1, 2, 3, 4]
    assert [i["n"] for i in query_all(table, "t", PK)] == [0, 1, 2, 3, 4, 99]


def test_query_all_starts_after_the_given_key(table: Any) -> None:
    items = query_all(table, "t", PK, "HOOK#", start=key(PK, "HOOK#2"), page=1, consistent=True)
    assert [i["n"] for i in items] == [3, 4]


def test_query_page_refuses_a_cursor_from_another_prefix(table: Any) -> None:
    foreign = encode_cursor(key(PK, "ZZZ#other"))
    with pytest.raises(BadRequest, match=r"page\[after\]"):
        query_page(table, "t", PK, "HOOK#", 2, foreign)


def test_put_if_version_writes_over_the_version_it_was_read_at(table: Any) -> None:
    table.put_item(TableName="t", Item=to_item({"PK": PK, "SK": "W#1", "version": 3, "name": "old"}))

    put_if_version(table, "t", to_item({"PK": PK, "SK": "W#1", "version": 4, "name": "new"}), 3, "changed")

    stored = from_item(table.get_item(TableName="t", Key=key(PK, "W#1"))["Item"])
    assert (stored["version"], stored["name"]) == (4, "new")


def test_put_if_version_refuses_a_changed_or_deleted_item(table: Any) -> None:
    table.put_item(TableName="t", Item=to_item({"PK": PK, "SK": "W#1", "version": 4, "name": "theirs"}))

    with pytest.raises(Conflict, match="changed meanwhile"):
        put_if_version(
            table, "t", to_item({"PK": PK, "SK": "W#1", "version": 4, "name": "mine"}), 3, "changed meanwhile"
        )
    with pytest.raises(Conflict, match="gone"):
        put_if_version(table, "t", to_item({"PK": PK, "SK": "W#9", "version": 2}), 1, "gone")

    stored = from_item(table.get_item(TableName="t", Key=key(PK, "W#1"))["Item"])
    assert stored["name"] == "theirs"
    assert "Item" not in table.get_item(TableName="t", Key=key(PK, "W#9"))


# ------------------------------------------------------------------ errors


def test_mapped_errors_turns_a_failed_condition_into_conflict() -> None:
    # When / Then
    with pytest.raises(Conflict, match="webhook exists"), mapped_errors("webhook exists"):
        raise _client_error("ConditionalCheckFailedException")


def test_mapped_errors_turns_throttling_into_service_unavailable() -> None:
    # When / Then
    with pytest.raises(ServiceUnavailable), mapped_errors():
        raise _client_error("ThrottlingException")


def test_mapped_errors_turns_a_cancelled_transaction_with_a_failed_condition_into_conflict() -> None:
    # Given
    error = _client_error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
    )

    # When / Then
    with pytest.raises(Conflict), mapped_errors():
        raise error


def test_mapped_errors_turns_a_cancelled_transaction_without_a_failed_condition_into_service_unavailable() -> None:
    # Given
    error = _client_error("TransactionCanceledException", CancellationReasons=[{"Code": "TransactionConflict"}])

    # When / Then
    with pytest.raises(ServiceUnavailable), mapped_errors():
        raise error


def test_mapped_errors_lets_other_client_errors_through() -> None:
    # When / Then
    with pytest.raises(ClientError, match="ValidationException"), mapped_errors():
        raise _client_error("ValidationException")
