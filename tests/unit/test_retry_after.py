"""The one Retry-After parser, shared by webhook deliveries and flow actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hookyard.retry_after import retry_after_seconds

NOW = datetime(2026, 10, 21, 7, 27, 40, tzinfo=UTC)  # 20 s before the dates below


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("7", 7.0), ("120", 120.0), (" 30 ", 30.0)])
def test_delay_seconds_are_read_as_seconds(value: str, seconds: float) -> None:
    assert retry_after_seconds(value) == seconds
    assert retry_after_seconds(value, NOW) == seconds


@pytest.mark.parametrize(
    "value",
    ["Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 +0000", "Wed, 21 Oct 2026 09:28:00 +0200"],
)
def test_an_http_date_with_a_zone_is_the_time_until_it(value: str) -> None:
    assert retry_after_seconds(value, NOW) == 20.0


@pytest.mark.parametrize("value", ["Wed, 21 Oct 2026 07:28:00", "Wed, 21 Oct 2026 07:28:00 -0000"])
def test_an_http_date_without_a_zone_is_read_as_utc(value: str) -> None:
    # Given a date with no zone, which email.utils parses to a naive datetime
    # Then it is UTC, as HTTP dates are, and does not fail comparing naive with aware
    assert retry_after_seconds(value, NOW) == 20.0


def test_a_naive_now_is_read_as_utc_too() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT", NOW.replace(tzinfo=None)) == 20.0


def test_a_date_in_the_past_is_no_wait() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2026 07:00:00 GMT", NOW) == 0.0


def test_a_date_cannot_be_read_without_the_response_time() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT") is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "soon",
        "-5",
        "-1",
        "1.5",
        "1e3",
        "nan",
        "inf",
        "²",  # a digit to str.isdigit, not to float()
        "١٢",  # Arabic-Indic digits: not delay-seconds either
        "Wed, 32 Oct 2026 07:28:00 GMT",
        "Wed, 21 Oct 99999 07:28:00 GMT",
        "Wed, 21 Oct 2026 25:28:00 GMT",
        "Wed, 21 Oct 2026 07:28:00 +9999",
        "21 Oct 2026",
    ],
)
def test_anything_else_is_no_retry_after(value: str | None) -> None:
    assert retry_after_seconds(value, NOW) is None


@pytest.mark.parametrize(
    "value", ["0", "5", "Wed, 21 Oct 2026 07:28:00", "Mon, 01 Jan 2001 00:00:00 +2359", "Fri, 31 Dec 9999 23:59:59"]
)
def test_a_readable_value_is_never_negative_or_nan(value: str) -> None:
    seconds = retry_after_seconds(value, NOW)
    assert seconds is not None
    assert seconds >= 0  # False for NaN too
