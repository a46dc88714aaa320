"""Retry policies for outbound webhook deliveries, as one pure function.

    decide(policy, attempt, outcome, *, now=None, jitter=None) -> Success | Retry | Final

`attempt` is the number (1 = the first request) of the attempt whose `outcome` is given.
`Retry.delay_seconds` is how long to wait before the next attempt; the caller makes the
wait with SQS (ChangeMessageVisibility, or a delayed re-send), never by sleeping.

RetryPolicy.ZENDESK (the default) is Zendesk's published behaviour:

- 2xx: success.
- 409 Conflict: retried up to 3 times (4 requests in all).
- 429 Too Many Requests and 503 Service Unavailable with a `Retry-After` under 60 s:
  retried after it, up to 3 times. Without `Retry-After`, or with 60 s or more: final.
- timeout (the endpoint has REQUEST_TIMEOUT_SECONDS = 12 s): retried up to 5 times.
- 410 Gone: final, and the webhook is deactivated (Hookyard's addition; Zendesk does not
  deactivate webhooks for failures, but 410 says the endpoint is gone for good).
- anything else (other statuses, connection errors): final.

  "Up to N times" counts every retry of the invocation, whatever failed before: the
  policy sees the attempt number, not the history (a 409 after three timeouts is final).
  Zendesk publishes no waits for 409 and timeouts; Hookyard waits 5, 10, 20, 40, 80 s.

RetryPolicy.EXTENDED (opt-in; Svix's schedule): any non-2xx is retried, except 4xx other
than 408, 409, 425 and 429, and so are timeouts and connection errors; 7 retries after
5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (about 28 h in all), each with full jitter
(a uniform wait between 0 and the step, at least 1 s, so failed deliveries of an outage
do not return together). A `Retry-After` (delta seconds or HTTP date, read by
hookyard.retry_after) is a floor on the wait. 410 Gone is final and deactivates, as above.

Every delay is a whole number of seconds from 0 to MAX_DELAY_SECONDS (12 h, the longest
SQS ChangeMessageVisibility); longer values are clamped. A caller that re-sends instead
uses DelaySeconds (at most 15 min) and re-sends again until the wait is over. The
queue's MessageRetentionPeriod must outlast the longest schedule (28 h < the 4-day
default), and with ChangeMessageVisibility its redrive maxReceiveCount must exceed the
number of attempts, or a retried message reaches the DLQ early.

Statuses (hookyard.models.webhooks.InvocationStatus, as the API shows them): an
attempt's status is `attempt_status(outcome)`: `success`, `timeout`, `throttled` (429),
`client error` (other 4xx), `server error` (5xx) or `failed` (connection error, or a
1xx/3xx status: redirects are not followed). The invocation's status after the attempt is
the decision's `invocation_status`: `success`, `retrying` (pending) or `failed` (final).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hookyard.models.webhooks import InvocationStatus
from hookyard.retry_after import retry_after_seconds


class RetryPolicy(StrEnum):
    ZENDESK = "zendesk"
    EXTENDED = "extended"


DEFAULT_POLICY = RetryPolicy.ZENDESK
REQUEST_TIMEOUT_SECONDS = 12
MAX_DELAY_SECONDS = 12 * 60 * 60

RETRY_AFTER_LIMIT_SECONDS = 60
CONFLICT_RETRIES = 3
THROTTLE_RETRIES = 3
TIMEOUT_RETRIES = 5
ZENDESK_BACKOFF_SECONDS = (5, 10, 20, 40, 80)

EXTENDED_SCHEDULE_SECONDS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
EXTENDED_RETRYABLE_4XX = frozenset({408, 409, 425, 429})

Jitter = Callable[[float], float]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: an HTTP status, or a timeout, or a connection error
    (DNS, refused, TLS, blocked destination). `retry_after` is the response's
    `Retry-After` header as sent, if any."""

    status: int | None = None
    timeout: bool = False
    connection_error: bool = False
    retry_after: str | None = None

    def __post_init__(self) -> None:
        if (self.status is not None) + self.timeout + self.connection_error != 1:
            raise ValueError("an outcome is exactly one of: a status, a timeout, a connection error")

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Success:
    status: InvocationStatus = InvocationStatus.SUCCESS
    invocation_status = InvocationStatus.SUCCESS


@dataclass(frozen=True)
class Retry:
    """Try again after `delay_seconds`; `status` is this attempt's status."""

    delay_seconds: int
    status: InvocationStatus
    invocation_status = InvocationStatus.RETRYING


@dataclass(frozen=True)
class Final:
    """No more attempts; `status` is this last attempt's status (the invocation has
    failed). `deactivate`: the webhook must be set inactive (its endpoint answered 410 Gone)."""

    status: InvocationStatus
    deactivate: bool = False
    invocation_status = InvocationStatus.FAILED


Decision = Success | Retry | Final


def attempt_status(outcome: Outcome) -> InvocationStatus:
    """The status shown for one attempt with this outcome."""
    if outcome.timeout:
        return InvocationStatus.TIMEOUT
    status = outcome.status
    if status is None:
        return InvocationStatus.FAILED
    if 200 <= status < 300:
        return InvocationStatus.SUCCESS
    if status == 429:
        return InvocationStatus.THROTTLED
    if 400 <= status < 500:
        return InvocationStatus.CLIENT_ERROR
    if 500 <= status < 600:
        return InvocationStatus.SERVER_ERROR
    return InvocationStatus.FAILED


def decide(
    policy: RetryPolicy | str,
    attempt: int,
    outcome: Outcome,
    *,
    now: datetime | None = None,
    jitter: Jitter | None = None,
) -> Decision:
    """What to do after attempt number `attempt` (1-based) came to `outcome`.

    `now` is when the response arrived; it is needed only to read a `Retry-After` given
    as an HTTP date (without it such a header counts as absent). `jitter` maps a step of
    the extended schedule to a wait (default: uniform in [0, step]); tests pass their own.
    Raises ValueError for an unknown policy or an attempt number below 1."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    policy = RetryPolicy(policy)
    if outcome.ok:
        return Success()
    status = attempt_status(outcome)
    if outcome.status == 410:
        return Final(status, deactivate=True)
    if policy is RetryPolicy.EXTENDED:
        return _extended(attempt, outcome, status, now, jitter or _full_jitter)
    return _zendesk(attempt, outcome, status, now)


def clamp_delay(seconds: float) -> int:
    """Whole seconds, rounded up, within [0, MAX_DELAY_SECONDS] (what SQS can wait)."""
    if math.isnan(seconds) or seconds <= 0:
        return 0
    if seconds >= MAX_DELAY_SECONDS:  # also infinity, which math.ceil cannot round
        return MAX_DELAY_SECONDS
    return math.ceil(seconds)


def _zendesk(attempt: int, outcome: Outcome, status: InvocationStatus, now: datetime | None) -> Decision:
    retries_done = attempt - 1
    backoff = ZENDESK_BACKOFF_SECONDS[min(retries_done, len(ZENDESK_BACKOFF_SECONDS) - 1)]
    if outcome.timeout:
        return Retry(backoff, status) if retries_done < TIMEOUT_RETRIES else Final(status)
    if outcome.status == 409:
        return Retry(backoff, status) if retries_done < CONFLICT_RETRIES else Final(status)
    if outcome.status in (429, 503):
        wait = retry_after_seconds(outcome.retry_after, now)
        if wait is not None and wait < RETRY_AFTER_LIMIT_SECONDS and retries_done < THROTTLE_RETRIES:
            return Retry(clamp_delay(wait), status)
    return Final(status)


def _extended(
    attempt: int, outcome: Outcome, status: InvocationStatus, now: datetime | None, jitter: Jitter
) -> Decision:
    code = outcome.status
    retryable = code is None or not (400 <= code < 500) or code in EXTENDED_RETRYABLE_4XX
    if not retryable or attempt > len(EXTENDED_SCHEDULE_SECONDS):
        return Final(status)
    # At least 1 s: full jitter can draw 0, and an immediate retry of a failing endpoint
    # only adds load.
    wait = max(1.0, jitter(EXTENDED_SCHEDULE_SECONDS[attempt - 1]))
    floor = retry_after_seconds(outcome.retry_after, now)
    if floor is not None:
        wait = max(wait, floor)
    return Retry(clamp_delay(wait), status)


def _full_jitter(step: float) -> float:
    return secrets.SystemRandom().uniform(0, step)
