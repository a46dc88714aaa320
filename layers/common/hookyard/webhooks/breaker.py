"""The circuit breaker of each outbound webhook: a pure state machine and its store.

Behaviour (Zendesk's published breaker, with the gaps filled in):

- CLOSED: every request goes. Results are counted in a 5-minute window. The breaker
  opens when, within the window, failures exceed `max_errors` (1,000) or at least
  `failure_ratio` (70 %) of at least `min_requests` (10) requests failed. The minimum
  volume keeps one failure out of one request (100 %) from pausing a quiet webhook.
  The window is tumbling: it starts at the first result after the previous window
  ended, and counts start again from zero.
- OPEN: requests are held back (`Permit.allowed` False; the caller delays them, status
  `circuit broken`) until `cooldown_seconds` (5 s) after opening.
- HALF_OPEN: the first caller after the cool-down gets the one probe
  (`Permit.probe` True); every other caller is held back. The probe's success closes the
  breaker with a fresh window; its failure re-opens it (another 5 s). A probe not
  reported within `probe_timeout_seconds` (the caller crashed) is given to the next
  caller, so the breaker cannot stay half-open for ever.
- Results of requests admitted before the breaker opened that arrive while it is open
  or half-open are ignored: only the probe decides.

"Failure" is whatever the caller says: the delivery function reports non-2xx responses,
timeouts and connection errors as failures.

Pure functions: `admit`, `record_result` (= `count` then `check_trip` while closed).

Store: `BreakerStore(table_name)` on the activity table, one item per webhook::

    PK = "BREAKER#<account id>#<webhook id>"  SK = "STATE"
      (a partition per webhook, like the invocations' INV#<account>#<webhook>: one
      webhook's traffic never shares a partition's throughput with another's)
    phase            S  closed | open | half_open
    window_start_ms  N  epoch ms; requests N; failures N
    opened_at_ms     N  (open / half_open)
    probe_until_ms   N  (half_open)
    version          N  +1 on every write
    expires_at       N  epoch s, 1 day after the last write (TTL: idle breakers vanish,
                        and a missing item is a closed breaker)

Concurrency (many Lambdas share one item):

- Counting while closed is one atomic `UpdateItem ADD requests, failures, version`
  conditioned on `phase = closed AND window_start_ms > now - window`; no read, no lost
  increments, no contention retries. Its `ALL_NEW` result is the exact count, so the
  caller whose result crosses the threshold sees it; it opens the breaker with a write
  conditioned on the version it saw (if another result landed in between, it reads
  again and re-checks: only a still-tripping state opens).
- Every other transition (new or expired window, open -> half-open, probe results) is
  read-compute-write: a consistent read, the pure function, and a write conditioned on
  `version` (or on the item not existing). DynamoDB serializes conditional writes on an
  item, so of all callers that read version v only one writes v+1; the others re-read
  and decide again. In particular exactly one caller moves OPEN -> HALF_OPEN, and so
  exactly one gets the probe; the rest see HALF_OPEN and are held back.
- A caller gives up after a few lost races (no sleeping between tries): `acquire` then
  holds the request back for the cool-down (safe), `record` drops that one result
  (a breaker is statistical; one lost count changes nothing that matters).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from hookyard import aws
from hookyard.dynamo import key

ITEM_TTL_SECONDS = 24 * 60 * 60
_TRIES = 5


class Phase(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerPolicy:
    window_seconds: float = 300.0
    failure_ratio: float = 0.7
    min_requests: int = 10
    max_errors: int = 1000
    cooldown_seconds: float = 5.0
    # The probe is one request: 5 s to connect plus 12 s to answer, with room to spare.
    probe_timeout_seconds: float = 30.0


DEFAULT_POLICY = BreakerPolicy()


@dataclass(frozen=True)
class BreakerState:
    """One webhook's breaker. Times are epoch seconds. `version` 0: never stored."""

    phase: Phase = Phase.CLOSED
    window_start: float = 0.0
    requests: int = 0
    failures: int = 0
    opened_at: float | None = None
    probe_until: float | None = None
    version: int = 0


@dataclass(frozen=True)
class Permit:
    """Whether a request may go now. `probe`: it is the half-open probe, and its result
    must be recorded with probe=True. `retry_in`: seconds after which asking again may
    succeed (when not allowed)."""

    allowed: bool
    probe: bool = False
    retry_in: float = 0.0


# ------------------------------------------------------------------ pure


def admit(state: BreakerState, now: float, policy: BreakerPolicy = DEFAULT_POLICY) -> tuple[BreakerState, Permit]:
    """The state after asking to send one request at `now`, and the answer."""
    if state.phase is Phase.CLOSED:
        return state, Permit(allowed=True)
    opened_at = state.opened_at if state.opened_at is not None else now
    reopen_at = opened_at + policy.cooldown_seconds
    if state.phase is Phase.OPEN and now < reopen_at:
        return state, Permit(allowed=False, retry_in=reopen_at - now)
    if state.phase is Phase.HALF_OPEN and state.probe_until is not None and now < state.probe_until:
        return state, Permit(allowed=False, retry_in=policy.cooldown_seconds)
    probing = replace(state, phase=Phase.HALF_OPEN, probe_until=now + policy.probe_timeout_seconds)
    return probing, Permit(allowed=True, probe=True)


def count(state: BreakerState, failed: bool, now: float, policy: BreakerPolicy = DEFAULT_POLICY) -> BreakerState:
    """A closed breaker's state with one more result counted (in a new window if the
    current one has ended)."""
    if now >= state.window_start + policy.window_seconds:
        return replace(state, window_start=now, requests=1, failures=int(failed))
    return replace(state, requests=state.requests + 1, failures=state.failures + int(failed))


def trips(state: BreakerState, policy: BreakerPolicy = DEFAULT_POLICY) -> bool:
    """Whether a closed breaker's counts call for opening it."""
    if state.failures > policy.max_errors:
        return True
    return state.requests >= policy.min_requests and state.failures >= policy.failure_ratio * state.requests


def check_trip(state: BreakerState, now: float, policy: BreakerPolicy = DEFAULT_POLICY) -> tuple[BreakerState, bool]:
    """The state after checking the counts, and whether this check opened the breaker."""
    if state.phase is Phase.CLOSED and trips(state, policy):
        return replace(state, phase=Phase.OPEN, opened_at=now, probe_until=None), True
    return state, False


def record_result(
    state: BreakerState,
    success: bool,
    now: float,
    *,
    probe: bool = False,
    policy: BreakerPolicy = DEFAULT_POLICY,
) -> tuple[BreakerState, bool]:
    """The state after one request's result, and whether this result opened (or
    re-opened) the breaker."""
    if state.phase is Phase.CLOSED:
        return check_trip(count(state, not success, now, policy), now, policy)
    if not (probe and state.phase is Phase.HALF_OPEN):
        return state, False  # a late result of a request admitted before the breaker opened
    if success:
        return replace(
            state, phase=Phase.CLOSED, window_start=now, requests=0, failures=0, opened_at=None, probe_until=None
        ), False
    return replace(state, phase=Phase.OPEN, opened_at=now, probe_until=None), True


# ------------------------------------------------------------------ store


def breaker_key(account_id: int, webhook_id: str) -> dict[str, Any]:
    return key(f"BREAKER#{account_id}#{webhook_id}", "STATE")


class BreakerStore:
    """Breakers shared by every Lambda, one item per webhook in `table_name` (the
    activity table). `now` arguments are epoch seconds (default: the current time)."""

    def __init__(self, table_name: str, policy: BreakerPolicy = DEFAULT_POLICY) -> None:
        self.table = table_name
        self.policy = policy

    def get(self, account_id: int, webhook_id: str) -> BreakerState:
        """The breaker as stored (a closed breaker with version 0 if there is none)."""
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=breaker_key(account_id, webhook_id), ConsistentRead=True
        )
        return _state(out["Item"]) if "Item" in out else BreakerState()

    def acquire(self, account_id: int, webhook_id: str, now: float | None = None) -> Permit:
        """Whether a request to the webhook may go now. While closed this is one read; a
        held-back request should be tried again after `retry_in` seconds. A permit with
        `probe` True is the only one given while half-open: report its result with
        `record(..., probe=True)`."""
        now = time.time() if now is None else now
        for _ in range(_TRIES):
            state = self.get(account_id, webhook_id)
            new, permit = admit(state, now, self.policy)
            if new == state or self._write(account_id, webhook_id, new, state.version, now):
                return permit
        return Permit(allowed=False, retry_in=self.policy.cooldown_seconds)

    def record(
        self, account_id: int, webhook_id: str, success: bool, *, probe: bool = False, now: float | None = None
    ) -> bool:
        """Count one request's result; True if this result opened (or re-opened) the
        breaker. `probe`: the request was admitted with a probe permit."""
        now = time.time() if now is None else now
        for _ in range(_TRIES):
            if not probe:
                counted = self._add(account_id, webhook_id, not success, now)
                if counted is not None:
                    return self._settle(account_id, webhook_id, counted, now)
            state = self.get(account_id, webhook_id)
            new, opened = record_result(state, success, now, probe=probe, policy=self.policy)
            if new == state or self._write(account_id, webhook_id, new, state.version, now):
                return opened
        return False

    def record_many(
        self, account_id: int, webhook_id: str, *, successes: int, failures: int, now: float | None = None
    ) -> bool:
        """Count a batch's results (none of them a probe) in one write while the window
        is open; True if they opened the breaker. Past the window, or not closed, they are
        counted one by one as `record` does."""
        now = time.time() if now is None else now
        if successes + failures == 0:
            return False
        for _ in range(_TRIES):
            counted = self._add(account_id, webhook_id, failures, now, requests=successes + failures)
            if counted is not None:
                return self._settle(account_id, webhook_id, counted, now)
            state = self.get(account_id, webhook_id)
            new, opened = state, False
            for failed in [True] * failures + [False] * successes:
                new, tripped = record_result(new, not failed, now, probe=False, policy=self.policy)
                opened = opened or tripped
            if new == state or self._write(account_id, webhook_id, new, state.version, now):
                return opened
        return False

    # ------------------------------------------------------------ internals
    def _add(
        self, account_id: int, webhook_id: str, failed: bool | int, now: float, requests: int = 1
    ) -> BreakerState | None:
        """Count atomically in the current window of a closed breaker (`requests` results,
        `failed` of them failures); None if there is no such window (no item, window
        over, or not closed)."""
        try:
            out = aws.dynamodb().update_item(
                TableName=self.table,
                Key=breaker_key(account_id, webhook_id),
                UpdateExpression="ADD requests :requests, failures :failed, version :one SET expires_at = :expires",
                ConditionExpression="phase = :closed AND window_start_ms > :floor",
                ExpressionAttributeValues={
                    ":requests": {"N": str(requests)},
                    ":one": {"N": "1"},
                    ":failed": {"N": str(int(failed))},
                    ":expires": {"N": str(int(now) + ITEM_TTL_SECONDS)},
                    ":closed": {"S": Phase.CLOSED.value},
                    ":floor": {"N": str(_ms(now - self.policy.window_seconds))},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return None
            raise
        return _state(out["Attributes"])

    def _settle(self, account_id: int, webhook_id: str, state: BreakerState, now: float) -> bool:
        """Open the breaker if `state` (just counted) trips it; re-check on a lost race."""
        for _ in range(_TRIES):
            new, opened = check_trip(state, now, self.policy)
            if not opened:
                return False
            if self._write(account_id, webhook_id, new, state.version, now):
                return True
            state = self.get(account_id, webhook_id)
        return False

    def _write(self, account_id: int, webhook_id: str, state: BreakerState, expected_version: int, now: float) -> bool:
        """Store `state` as version expected_version + 1 if the stored version is still
        `expected_version`; False if another writer came first."""
        item = {
            **breaker_key(account_id, webhook_id),
            "phase": {"S": state.phase.value},
            "window_start_ms": {"N": str(_ms(state.window_start))},
            "requests": {"N": str(state.requests)},
            "failures": {"N": str(state.failures)},
            "version": {"N": str(expected_version + 1)},
            "expires_at": {"N": str(int(now) + ITEM_TTL_SECONDS)},
        }
        if state.opened_at is not None:
            item["opened_at_ms"] = {"N": str(_ms(state.opened_at))}
        if state.probe_until is not None:
            item["probe_until_ms"] = {"N": str(_ms(state.probe_until))}
        if expected_version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
            }
        try:
            aws.dynamodb().put_item(TableName=self.table, Item=item, **condition)
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True


def _ms(seconds: float) -> int:
    # Numbers at the DynamoDB edge are ints: times are stored as epoch milliseconds.
    return round(seconds * 1000)


def _number(item: dict[str, Any], name: str) -> int | None:
    attr = item.get(name)
    return int(attr["N"]) if attr is not None else None


def _state(item: dict[str, Any]) -> BreakerState:
    opened_at = _number(item, "opened_at_ms")
    probe_until = _number(item, "probe_until_ms")
    return BreakerState(
        phase=Phase(item["phase"]["S"]),
        window_start=(_number(item, "window_start_ms") or 0) / 1000,
        requests=_number(item, "requests") or 0,
        failures=_number(item, "failures") or 0,
        opened_at=opened_at / 1000 if opened_at is not None else None,
        probe_until=probe_until / 1000 if probe_until is not None else None,
        version=_number(item, "version") or 0,
    )


def _conditional_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
