"""Retry policies: Zendesk's published rules by default, Svix-like extended on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from hookyard.models.webhooks import InvocationStatus
from hookyard.webhooks.retry import (
    EXTENDED_SCHEDULE_SECONDS,
    MAX_DELAY_SECONDS,
    Final,
    Outcome,
    Retry,
    RetryPolicy,
    Success,
    attempt_status,
    decide,
)

ZENDESK = RetryPolicy.ZENDESK
EXTENDED = RetryPolicy.EXTENDED
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def status(code: int, retry_after: str | None = None) -> Outcome:
    return Outcome(status=code, retry_after=retry_after)


TIMEOUT = Outcome(timeout=True)
CONNECTION_ERROR = Outcome(connection_error=True)


def no_jitter(step: float) -> float:
    return step


# ------------------------------------------------------------------ Zendesk (default)


@pytest.mark.parametrize("code", [200, 201, 202, 204, 299])
def test_a_2xx_answer_is_success(code: int) -> None:
    assert decide(ZENDESK, 1, status(code)) == Success()


def test_409_is_retried_three_times_then_final() -> None:
    decisions = [decide(ZENDESK, attempt, status(409)) for attempt in (1, 2, 3, 4)]

    assert [type(d) for d in decisions] == [Retry, Retry, Retry, Final]
    assert decisions[-1] == Final(InvocationStatus.CLIENT_ERROR)


@pytest.mark.parametrize(("code", "shown"), [(429, InvocationStatus.THROTTLED), (503, InvocationStatus.SERVER_ERROR)])
def test_429_and_503_with_retry_after_under_60_seconds_are_retried_after_it(code: int, shown: InvocationStatus) -> None:
    assert decide(ZENDESK, 1, status(code, "30")) == Retry(30, shown)
    assert decide(ZENDESK, 1, status(code, "59")) == Retry(59, shown)


@pytest.mark.parametrize("retry_after", [None, "60", "61", "3600", "soon", ""])
@pytest.mark.parametrize("code", [429, 503])
def test_429_and_503_without_a_usable_retry_after_under_60_seconds_are_final(
    code: int, retry_after: str | None
) -> None:
    assert isinstance(decide(ZENDESK, 1, status(code, retry_after)), Final)


def test_a_retry_after_given_as_an_http_date_is_read_against_the_response_time() -> None:
    in_20_seconds = format_datetime(NOW + timedelta(seconds=20), usegmt=True)

    assert decide(ZENDESK, 1, status(429, in_20_seconds), now=NOW) == Retry(20, InvocationStatus.THROTTLED)
    assert isinstance(decide(ZENDESK, 1, status(429, in_20_seconds)), Final)  # no time to read it against


def test_429_with_retry_after_is_retried_at_most_three_times() -> None:
    decisions = [decide(ZENDESK, attempt, status(429, "1")) for attempt in (1, 2, 3, 4)]

    assert [type(d) for d in decisions] == [Retry, Retry, Retry, Final]


def test_a_timeout_is_retried_five_times_then_final() -> None:
    decisions = [decide(ZENDESK, attempt, TIMEOUT) for attempt in range(1, 7)]

    assert [type(d) for d in decisions] == [Retry] * 5 + [Final]
    assert decisions[-1] == Final(InvocationStatus.TIMEOUT)


def test_retries_of_409_and_timeouts_wait_longer_each_time() -> None:
    delays = [d.delay_seconds for d in (decide(ZENDESK, a, TIMEOUT) for a in range(1, 6)) if isinstance(d, Retry)]

    assert delays == sorted(delays)
    assert delays[0] >= 1


@pytest.mark.parametrize(
    ("outcome", "shown"),
    [
        (status(400), InvocationStatus.CLIENT_ERROR),
        (status(401), InvocationStatus.CLIENT_ERROR),
        (status(404), InvocationStatus.CLIENT_ERROR),
        (status(408), InvocationStatus.CLIENT_ERROR),
        (status(500), InvocationStatus.SERVER_ERROR),
        (status(502), InvocationStatus.SERVER_ERROR),
        (status(301), InvocationStatus.FAILED),
        (CONNECTION_ERROR, InvocationStatus.FAILED),
    ],
)
def test_other_failures_are_final_at_once(outcome: Outcome, shown: InvocationStatus) -> None:
    assert decide(ZENDESK, 1, outcome) == Final(shown)


@pytest.mark.parametrize("policy", [ZENDESK, EXTENDED])
def test_410_gone_is_final_and_deactivates_the_webhook(policy: RetryPolicy) -> None:
    assert decide(policy, 1, status(410)) == Final(InvocationStatus.CLIENT_ERROR, deactivate=True)


@pytest.mark.parametrize("policy", [ZENDESK, EXTENDED])
def test_no_other_outcome_deactivates_the_webhook(policy: RetryPolicy) -> None:
    outcomes = [status(c) for c in (400, 401, 403, 404, 409, 429, 500, 503)] + [TIMEOUT, CONNECTION_ERROR]

    finals = [decide(policy, 99, o, jitter=no_jitter) for o in outcomes]

    assert all(isinstance(d, Final) and not d.deactivate for d in finals)


# ------------------------------------------------------------------ extended


@pytest.mark.parametrize(
    "outcome",
    [
        status(500),
        status(502),
        status(503),
        status(408),
        status(409),
        status(425),
        status(429),
        status(302),
        TIMEOUT,
        CONNECTION_ERROR,
    ],
)
def test_the_extended_policy_retries_server_errors_timeouts_connection_errors_and_retryable_4xx(
    outcome: Outcome,
) -> None:
    assert isinstance(decide(EXTENDED, 1, outcome, jitter=no_jitter), Retry)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 422])
def test_the_extended_policy_does_not_retry_other_4xx(code: int) -> None:
    assert decide(EXTENDED, 1, status(code)) == Final(InvocationStatus.CLIENT_ERROR)


def test_the_extended_policy_follows_its_schedule_then_gives_up() -> None:
    attempts = range(1, len(EXTENDED_SCHEDULE_SECONDS) + 2)

    decisions = [decide(EXTENDED, a, status(500), jitter=no_jitter) for a in attempts]

    assert [d.delay_seconds for d in decisions if isinstance(d, Retry)] == list(EXTENDED_SCHEDULE_SECONDS)
    assert decisions[-1] == Final(InvocationStatus.SERVER_ERROR)


def test_the_extended_policy_jitters_each_wait_between_one_second_and_its_step() -> None:
    for attempt, step in enumerate(EXTENDED_SCHEDULE_SECONDS, start=1):
        decision = decide(EXTENDED, attempt, TIMEOUT)

        assert isinstance(decision, Retry)
        assert 1 <= decision.delay_seconds <= step


def test_a_jitter_of_zero_still_waits_one_second() -> None:
    assert decide(EXTENDED, 1, status(500), jitter=lambda step: 0.0) == Retry(1, InvocationStatus.SERVER_ERROR)


def test_the_extended_policy_waits_at_least_the_retry_after() -> None:
    assert decide(EXTENDED, 1, status(429, "3600"), jitter=no_jitter) == Retry(3600, InvocationStatus.THROTTLED)


def test_a_wait_longer_than_sqs_can_hold_a_message_is_clamped_to_12_hours() -> None:
    decision = decide(EXTENDED, 1, status(503, "999999"), jitter=no_jitter)

    assert decision == Retry(MAX_DELAY_SECONDS, InvocationStatus.SERVER_ERROR)
    assert MAX_DELAY_SECONDS == 12 * 60 * 60


def test_every_wait_of_both_policies_is_whole_seconds_sqs_can_express() -> None:
    outcomes = [status(c, ra) for c in (409, 429, 500, 503) for ra in (None, "0", "59", "86400")] + [TIMEOUT]

    delays = [
        d.delay_seconds
        for policy in RetryPolicy
        for attempt in range(1, 10)
        for o in outcomes
        if isinstance(d := decide(policy, attempt, o), Retry)
    ]

    assert delays
    assert all(isinstance(d, int) and 0 <= d <= MAX_DELAY_SECONDS for d in delays)


# ------------------------------------------------------------------ statuses and inputs


@pytest.mark.parametrize(
    ("outcome", "shown"),
    [
        (status(200), InvocationStatus.SUCCESS),
        (status(429), InvocationStatus.THROTTLED),
        (status(404), InvocationStatus.CLIENT_ERROR),
        (status(503), InvocationStatus.SERVER_ERROR),
        (status(101), InvocationStatus.FAILED),
        (TIMEOUT, InvocationStatus.TIMEOUT),
        (CONNECTION_ERROR, InvocationStatus.FAILED),
    ],
)
def test_each_outcome_has_the_status_the_api_shows(outcome: Outcome, shown: InvocationStatus) -> None:
    assert attempt_status(outcome) == shown


def test_a_retry_carries_the_attempts_status() -> None:
    assert decide(ZENDESK, 1, TIMEOUT) == Retry(5, InvocationStatus.TIMEOUT)


@pytest.mark.parametrize(
    "fields",
    [{}, {"status": 500, "timeout": True}, {"timeout": True, "connection_error": True}],
)
def test_an_outcome_is_exactly_one_of_status_timeout_or_connection_error(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Outcome(**fields)  # type: ignore[arg-type]


def test_a_policy_may_be_named_as_stored() -> None:
    assert isinstance(decide("extended", 1, status(500), jitter=no_jitter), Retry)
    with pytest.raises(ValueError, match="nope"):
        decide("nope", 1, status(500))


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        decide(ZENDESK, 0, status(500))


@pytest.mark.parametrize("policy", list(RetryPolicy))
def test_a_retry_after_of_non_ascii_digits_is_ignored_not_a_crash(policy: RetryPolicy) -> None:
    # "²" is a digit to str.isdigit but not to float(): it used to raise ValueError.
    decision = decide(policy, 1, status(503, "²"), jitter=no_jitter)

    # Then it counts as no Retry-After: final for Zendesk's policy, the schedule's 5 s for the extended one
    expected = Final(InvocationStatus.SERVER_ERROR) if policy is ZENDESK else Retry(5, InvocationStatus.SERVER_ERROR)
    assert decision == expected


def test_a_retry_after_too_long_for_a_float_is_clamped_not_a_crash() -> None:
    # 400 digits is float infinity: rounding it up used to raise OverflowError.
    decision = decide(EXTENDED, 1, status(503, "9" * 400), jitter=no_jitter)

    assert decision == Retry(MAX_DELAY_SECONDS, InvocationStatus.SERVER_ERROR)


def test_a_retry_after_date_without_a_zone_is_read_as_utc() -> None:
    in_20_seconds = format_datetime(NOW + timedelta(seconds=20), usegmt=True).removesuffix(" GMT")

    assert decide(ZENDESK, 1, status(429, in_20_seconds), now=NOW) == Retry(20, InvocationStatus.THROTTLED)
