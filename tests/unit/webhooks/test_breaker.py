"""The circuit breaker: the pure state machine, and its DynamoDB store on moto (the
activity table as template.yaml defines it)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from hookyard import aws
from hookyard.webhooks.breaker import (
    BreakerState,
    BreakerStore,
    Permit,
    Phase,
    admit,
    breaker_key,
    record_result,
)
from hookyard_dev.template import Template

T0 = 1_800_000_000.0
REGION = "us-east-1"


def results(state: BreakerState, outcomes: str, now: float = T0) -> tuple[BreakerState, list[bool]]:
    """Feed results ("F" failure, "S" success) at `now`; the state and which opened it."""
    opened = []
    for outcome in outcomes:
        state, did_open = record_result(state, outcome == "S", now)
        opened.append(did_open)
    return state, opened


def opened_at(now: float) -> BreakerState:
    return BreakerState(phase=Phase.OPEN, window_start=now, requests=10, failures=10, opened_at=now)


# ------------------------------------------------------------------ closed


def test_a_closed_breaker_lets_every_request_through() -> None:
    state, permit = admit(BreakerState(), T0)

    assert permit == Permit(allowed=True)
    assert state == BreakerState()


def test_70_percent_failures_of_at_least_10_requests_open_the_breaker() -> None:
    state, opened = results(BreakerState(), "SSS" + "FFFFFFF")

    assert state.phase is Phase.OPEN
    assert opened == [False] * 9 + [True]


def test_fewer_than_70_percent_failures_keep_it_closed() -> None:
    state, _ = results(BreakerState(), "SSSS" + "FFFFFF")

    assert state.phase is Phase.CLOSED


def test_below_the_minimum_volume_even_all_failures_keep_it_closed() -> None:
    state, _ = results(BreakerState(), "F" * 9)

    assert state.phase is Phase.CLOSED


def test_more_than_1000_errors_in_the_window_open_it_whatever_the_ratio() -> None:
    state = BreakerState(window_start=T0, requests=3000, failures=1000)

    state, opened = record_result(state, False, T0 + 1)

    assert opened is True
    assert state.phase is Phase.OPEN


def test_failures_of_an_ended_window_do_not_count() -> None:
    state, _ = results(BreakerState(), "F" * 9)

    state, opened = record_result(state, False, T0 + 300)

    assert opened is False
    assert (state.window_start, state.requests, state.failures) == (T0 + 300, 1, 1)


# ------------------------------------------------------------------ open and half-open


def test_an_open_breaker_holds_requests_back_for_5_seconds() -> None:
    _, permit = admit(opened_at(T0), T0 + 2)

    assert permit == Permit(allowed=False, retry_in=3.0)


def test_after_5_seconds_exactly_one_request_goes_as_the_probe() -> None:
    state, first = admit(opened_at(T0), T0 + 5)
    state, second = admit(state, T0 + 6)

    assert first == Permit(allowed=True, probe=True)
    assert second.allowed is False
    assert state.phase is Phase.HALF_OPEN


def test_a_successful_probe_closes_the_breaker_with_a_fresh_window() -> None:
    state, _ = admit(opened_at(T0), T0 + 5)

    state, opened = record_result(state, True, T0 + 6, probe=True)

    assert opened is False
    assert state == BreakerState(phase=Phase.CLOSED, window_start=T0 + 6)


def test_a_failed_probe_opens_the_breaker_for_another_5_seconds() -> None:
    state, _ = admit(opened_at(T0), T0 + 5)

    state, opened = record_result(state, False, T0 + 6, probe=True)
    _, permit = admit(state, T0 + 8)

    assert opened is True
    assert (state.phase, state.opened_at) == (Phase.OPEN, T0 + 6)
    assert permit == Permit(allowed=False, retry_in=3.0)


def test_late_results_of_requests_sent_before_it_opened_are_ignored() -> None:
    half_open, _ = admit(opened_at(T0), T0 + 5)

    for state in (opened_at(T0), half_open):
        after_success, opened_s = record_result(state, True, T0 + 6)
        after_failure, opened_f = record_result(state, False, T0 + 6)

        assert (after_success, after_failure) == (state, state)
        assert (opened_s, opened_f) == (False, False)


def test_a_probe_never_reported_is_given_to_the_next_caller_after_its_timeout() -> None:
    state, _ = admit(opened_at(T0), T0 + 5)

    _, during = admit(state, T0 + 34)
    _, after = admit(state, T0 + 36)

    assert during.allowed is False
    assert after == Permit(allowed=True, probe=True)


# ------------------------------------------------------------------ the store (DynamoDB)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch, template: Template) -> Iterator[str]:
    """The activity table, from template.yaml, on moto."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    name = template.physical_name("ActivityTable")
    spec = next(s for s in template.table_definitions() if s["TableName"] == name)
    with mock_aws():
        aws.reset_clients()
        boto3.client("dynamodb", region_name=REGION).create_table(**spec)
        yield name
    aws.reset_clients()


def fail(store: BreakerStore, times: int, now: float = T0) -> list[bool]:
    return [store.record(1, "W1", success=False, now=now) for _ in range(times)]


def test_the_store_opens_the_breaker_once_failures_trip_it(table: str) -> None:
    store = BreakerStore(table)

    opened = fail(store, 10)

    assert opened == [False] * 9 + [True]
    assert store.get(1, "W1").phase is Phase.OPEN
    assert store.acquire(1, "W1", now=T0 + 1) == Permit(allowed=False, retry_in=4.0)


def test_the_store_keeps_one_item_per_webhook_with_a_ttl(table: str) -> None:
    store = BreakerStore(table)

    fail(store, 10)
    item = boto3.client("dynamodb", region_name=REGION).get_item(TableName=table, Key=breaker_key(1, "W1"))["Item"]

    assert (item["PK"]["S"], item["SK"]["S"]) == ("BREAKER#1#W1", "STATE")
    assert item["phase"]["S"] == "open"
    assert (item["requests"]["N"], item["failures"]["N"]) == ("10", "10")
    assert item["opened_at_ms"]["N"] == str(int(T0 * 1000))
    assert int(item["expires_at"]["N"]) == int(T0) + 24 * 60 * 60


def test_breakers_of_different_webhooks_are_independent(table: str) -> None:
    store = BreakerStore(table)

    fail(store, 10)

    assert store.acquire(1, "W2", now=T0 + 1) == Permit(allowed=True)
    assert store.acquire(2, "W1", now=T0 + 1) == Permit(allowed=True)


def test_counts_from_several_lambdas_add_up_on_the_shared_item(table: str) -> None:
    lambdas = [BreakerStore(table) for _ in range(3)]

    for index in range(9):
        lambdas[index % 3].record(1, "W1", success=index == 0, now=T0 + index)

    state = lambdas[0].get(1, "W1")
    assert (state.phase, state.requests, state.failures) == (Phase.CLOSED, 9, 8)


def test_the_store_starts_a_new_window_after_five_minutes(table: str) -> None:
    store = BreakerStore(table)
    fail(store, 9)

    opened = store.record(1, "W1", success=False, now=T0 + 301)

    state = store.get(1, "W1")
    assert opened is False
    assert (state.window_start, state.requests, state.failures) == (T0 + 301, 1, 1)


def test_only_one_caller_gets_the_probe_when_two_read_the_open_breaker_at_once(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = BreakerStore(table), BreakerStore(table)
    fail(first, 10)
    # Both read the open breaker before either writes: the second acts on that read.
    stale = [second.get(1, "W1")]
    real_get = second.get
    monkeypatch.setattr(second, "get", lambda a, w: stale.pop() if stale else real_get(a, w))

    winner = first.acquire(1, "W1", now=T0 + 5)
    loser = second.acquire(1, "W1", now=T0 + 5)

    assert not stale  # the second did act on the stale read: its write lost the race
    assert winner == Permit(allowed=True, probe=True)
    assert loser.allowed is False
    assert first.get(1, "W1").phase is Phase.HALF_OPEN


def test_the_probes_success_closes_the_stored_breaker(table: str) -> None:
    store = BreakerStore(table)
    fail(store, 10)
    probe = store.acquire(1, "W1", now=T0 + 5)

    opened = store.record(1, "W1", success=True, probe=probe.probe, now=T0 + 6)

    assert opened is False
    assert store.get(1, "W1").phase is Phase.CLOSED
    assert store.acquire(1, "W1", now=T0 + 6) == Permit(allowed=True)


def test_the_probes_failure_reopens_the_stored_breaker(table: str) -> None:
    store = BreakerStore(table)
    fail(store, 10)
    probe = store.acquire(1, "W1", now=T0 + 5)

    opened = store.record(1, "W1", success=False, probe=probe.probe, now=T0 + 6)

    assert opened is True
    assert store.acquire(1, "W1", now=T0 + 7) == Permit(allowed=False, retry_in=4.0)


def test_a_late_failure_while_open_neither_counts_nor_reopens(table: str) -> None:
    store = BreakerStore(table)
    fail(store, 10)
    before = store.get(1, "W1")

    opened = store.record(1, "W1", success=False, now=T0 + 1)

    assert opened is False
    assert store.get(1, "W1") == before
