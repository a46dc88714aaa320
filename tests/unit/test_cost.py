"""bench/cost.py: the units AWS bills (item sizes, request units, 64 KB chunks, Lambda
GB-seconds), the pricing and floors, and the meter counting requests on moto."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from bench.cost import (
    FLOORS,
    PRICES,
    SERVICES,
    Line,
    Meter,
    MotoTables,
    by_service,
    chunks,
    floor_cost,
    floor_ratio,
    item_kind,
    item_size,
    lambda_gb_seconds,
    load_prices,
    number_size,
    putevents_entry_size,
    read_units,
    write_units,
)

REGION = "us-east-1"


# ---------------------------------------------------------------- item sizes


def test_a_string_attribute_counts_its_name_and_its_utf8_bytes() -> None:
    assert item_size({"who": {"S": "Jörg"}}) == 3 + 5


@pytest.mark.parametrize(
    ("number", "size"),
    [("7", 2), ("12345", 4), ("100", 2), ("0.00123", 3), ("-1.5E+3", 2), ("0", 1), ("1733097600000", 5)],
)
def test_a_number_counts_one_byte_per_two_significant_digits_and_one_more(number: str, size: int) -> None:
    assert number_size(number) == size


def test_a_map_counts_three_bytes_and_one_per_element_with_the_element_names() -> None:
    assert item_size({"m": {"M": {"ab": {"S": "xyz"}, "n": {"NULL": True}}}}) == 1 + 3 + (2 + 3 + 1) + (1 + 1 + 1)


def test_a_list_counts_three_bytes_and_one_per_element() -> None:
    assert item_size({"l": {"L": [{"N": "1"}, {"BOOL": True}, {"L": []}]}}) == 1 + 3 + (2 + 1) + (1 + 1) + (3 + 1)


def test_binary_values_count_their_raw_bytes_whether_sent_as_bytes_or_base64() -> None:
    assert item_size({"b": {"B": b"\x00\x01\x02"}}) == 1 + 3
    assert item_size({"b": {"B": "AAEC"}}) == 1 + 3  # moto keeps the wire's base64 text


def test_sets_count_the_sum_of_their_members() -> None:
    assert item_size({"s": {"SS": ["ab", "c"]}, "n": {"NS": ["10", "123"]}}) == (1 + 3) + (1 + 2 + 3)


# ---------------------------------------------------------------- request units


@pytest.mark.parametrize(("size", "units"), [(0, 1), (1, 1), (1024, 1), (1025, 2), (2560, 3)])
def test_write_units_are_one_per_kilobyte_started_and_at_least_one(size: int, units: int) -> None:
    assert write_units(size) == units


def test_transactional_writes_cost_twice_the_units() -> None:
    assert write_units(1025, transactional=True) == 4


def test_read_units_are_per_four_kilobytes_half_when_eventually_consistent_and_double_in_transactions() -> None:
    assert read_units(4096) == 1.0
    assert read_units(4097) == 2.0
    assert read_units(4097, consistent=False) == 1.0
    assert read_units(1, consistent=False) == 0.5
    assert read_units(4097, transactional=True) == 4.0
    assert read_units(0) == 1.0  # an item that is not there still costs the minimum


@pytest.mark.parametrize(("size", "units"), [(0, 1), (65_536, 1), (65_537, 2), (256 * 1024, 4)])
def test_payloads_are_billed_per_64_kb_chunk_started(size: int, units: int) -> None:
    assert chunks(size) == units


def test_a_putevents_entry_counts_source_type_detail_resources_and_14_bytes_for_a_time() -> None:
    entry = {"Source": "bench", "DetailType": "x", "Detail": '{"a":"é"}', "Resources": ["arn:a"]}

    assert putevents_entry_size(entry) == 5 + 1 + 10 + 5
    assert putevents_entry_size({**entry, "Time": datetime(2026, 12, 1, tzinfo=UTC)}) == 5 + 1 + 10 + 5 + 14


def test_lambda_duration_is_rounded_up_to_the_millisecond_and_scaled_by_memory() -> None:
    assert lambda_gb_seconds(10.2, 1024) == pytest.approx(0.011)
    assert lambda_gb_seconds(1.0, 512) == pytest.approx(0.0005)


def test_item_kinds_name_the_key_prefixes_and_hide_numbers_and_times() -> None:
    assert item_kind("INV#1#01WEBHOOK", "T#2026-12-01T10:00:00.000Z#01INV") == "INV/T"
    assert item_kind("RATE#1", "1733097600") == "RATE/<n>"
    assert item_kind("LOG#1#acme", "2026-12-01T10:00:00.000Z#01ULID") == "LOG/<n>"
    assert item_kind("ROUTE#1#bench:event-type:x") == "ROUTE"


# ---------------------------------------------------------------- prices, floors


def test_a_price_per_ten_thousand_requests_is_scaled_to_a_million_events() -> None:
    prices = load_prices()

    assert prices["kms_request"].usd_per_million_events(1) == pytest.approx(3.0)
    assert prices["apigateway_rest_request"].usd_per_million_events(1) == pytest.approx(3.5)
    assert prices["lambda_arm64_gb_second"].usd_per_million_events(0.01) == pytest.approx(0.133334)


def test_costs_are_summed_by_service_and_untouched_services_are_zero() -> None:
    prices = load_prices()
    lines = [
        Line("apigateway_rest_request", "api", 1.0),
        Line("dynamodb_ondemand_wru", "writes", 2.0),
        Line("dynamodb_ondemand_rru", "reads", 4.0),
    ]

    totals = by_service(lines, prices)

    assert totals["API Gateway"] == pytest.approx(3.5)
    assert totals["DynamoDB"] == pytest.approx(2 * 0.625 + 4 * 0.125)
    assert totals["SQS"] == 0.0
    assert list(totals) == list(SERVICES)


def test_the_delivery_floor_is_an_api_request_an_entry_a_message_and_a_record() -> None:
    prices = load_prices()

    floor = floor_cost("delivery", prices)

    assert floor == pytest.approx(1.00 + 1.00 + 0.40 + 0.625)
    assert floor_ratio(2 * floor, floor) == pytest.approx(2.0)


def test_the_checked_in_price_table_dates_and_sources_every_line_the_floors_use() -> None:
    prices = load_prices(PRICES)

    assert prices.as_of
    assert prices.region == "us-east-1"
    for line in prices.lines.values():
        assert line.service in SERVICES, line.key
        assert line.sources, line.key
        assert all(url.startswith("https://") for url in line.sources), line.key
        assert line.usd > 0, line.key
        assert line.per > 0, line.key
    assert {price for floor in FLOORS.values() for price, _, _ in floor} <= set(prices.lines)


# ---------------------------------------------------------------- the meter, on moto


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Meter, Any]]:
    """A DynamoDB client whose requests the meter counts, on a moto table (PK, SK)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        meter = Meter(MotoTables(DEFAULT_ACCOUNT_ID, REGION), {})
        session = boto3.session.Session(region_name=REGION)
        meter.attach(session.events)
        with meter.acting("Fn"):
            yield meter, session.client("dynamodb")


def units(meter: Meter, price: str) -> dict[str, float]:
    return {label: quantity for (line, label), quantity in meter.units.items() if line == price}


def test_a_transactional_put_of_a_1_5_kb_item_counts_four_write_units(counted: tuple[Meter, Any]) -> None:
    meter, dynamodb = counted
    item = {"PK": {"S": "INV#1#w"}, "SK": {"S": "I#1"}, "body": {"S": "x" * 1500}}

    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": item}}])

    assert units(meter, "dynamodb_ondemand_wru") == {"Fn TransactWriteItems INV/I": 4}
    assert meter.requests == {"Fn dynamodb.TransactWriteItems": 1}


def test_an_update_counts_the_larger_of_the_item_before_and_after(counted: tuple[Meter, Any]) -> None:
    meter, dynamodb = counted
    key = {"PK": {"S": "EXEC#1#e"}, "SK": {"S": "EXECUTION"}}
    dynamodb.put_item(TableName="t", Item={**key, "event": {"S": "x" * 2000}})
    meter.reset()

    dynamodb.update_item(
        TableName="t",
        Key=key,
        UpdateExpression="SET #s = :s REMOVE #e",
        ExpressionAttributeNames={"#s": "status", "#e": "event"},
        ExpressionAttributeValues={":s": {"S": "done"}},
    )

    assert units(meter, "dynamodb_ondemand_wru") == {"Fn UpdateItem EXEC/EXECUTION": 2}


def test_a_failed_conditional_write_is_counted_and_frees_the_meter_for_other_threads(
    counted: tuple[Meter, Any],
) -> None:
    meter, dynamodb = counted
    item = {"PK": {"S": "RATE#1"}, "SK": {"S": "1733097600"}, "count": {"N": "1"}}
    dynamodb.put_item(TableName="t", Item=item)
    meter.reset()

    with pytest.raises(ClientError):
        dynamodb.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(PK)")
    free: list[bool] = []

    def try_lock() -> None:
        free.append(meter.lock.acquire(blocking=False))
        if free[-1]:
            meter.lock.release()

    other = threading.Thread(target=try_lock)
    other.start()
    other.join()

    assert units(meter, "dynamodb_ondemand_wru") == {"Fn PutItem RATE/<n>": 1}
    assert free == [True]


def test_a_query_reads_the_sum_of_its_items_and_a_missing_item_costs_the_minimum(
    counted: tuple[Meter, Any],
) -> None:
    meter, dynamodb = counted
    for n in range(3):
        dynamodb.put_item(TableName="t", Item={"PK": {"S": "ROUTE#1#x"}, "SK": {"S": f"W#{n}"}, "d": {"S": "x" * 2000}})
    meter.reset()

    dynamodb.query(
        TableName="t",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "ROUTE#1#x"}},
        ConsistentRead=True,
    )
    dynamodb.get_item(TableName="t", Key={"PK": {"S": "INGEST#nope"}, "SK": {"S": "INGEST"}})

    assert units(meter, "dynamodb_ondemand_rru") == {"Fn Query ROUTE": 2.0, "Fn GetItem INGEST/INGEST": 0.5}
