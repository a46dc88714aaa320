"""Webhook invocations in the activity table: one item per invocation, which expires by TTL.

Written by the delivery function (and, for redeliveries and recoveries, the webhooks API),
read by the webhooks API.

Item: PK=INV#<account>#<webhook id>  SK=I#<invocation id>
  the invocation's summary as plain attributes (status, status_code, attempts, times, ...,
  and `version` for optimistic writes), and in `x` (zlib-compressed JSON) what is shown
  but never queried: the request it sends (method, query, content type, payload) and every
  attempt (its status, times, error, the request headers as sent with secrets redacted, the
  response's headers and first 16 KB).

Why one item: a delivery that succeeds at once costs one write, made after the attempt
with its outcome (no "accepted" record first, no attempt item, no time index; see
`record_attempt`); a retried delivery costs one more write per attempt. An invocation that
has to wait first (throttled, circuit broken) or is made by the API (redeliver, recovery)
is written when it is made.

Order: invocation ids begin with a ULID (the event's, or the recovery's, or a new one for
a redelivery), so the sort key orders invocations by when they came to be, and a time
window is a key range. (Zendesk orders by latest_completed_at; keeping a time index in step
with that would cost two more writes per attempt: see README, "Invocation storage".)
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from ulid import ULID

from hookyard import aws, clock
from hookyard.dynamo import decode_cursor, encode_cursor, from_item, key, mapped_errors, pack, to_item, unpack
from hookyard.errors import BadRequest, Conflict, NotFound
from hookyard.messages import OutboundRequest
from hookyard.models.webhooks import AttemptRecord, InvocationRecord, InvocationStatus

RESPONSE_BODY_BYTES = 1024  # the attempt's legacy `response_body`
# DynamoDB refuses items over 400 KB: past this, the oldest attempts' response payloads go.
ITEM_BUDGET_BYTES = 350 * 1024
_SUMMARY_FIELDS = tuple(InvocationRecord.model_fields)
_UPDATE_TRIES = 5


def invocations_pk(account_id: int, webhook_id: str) -> str:
    return f"INV#{account_id}#{webhook_id}"


def _sk(invocation_id: str) -> str:
    return f"I#{invocation_id}"


def attempt_id(invocation_id: str, number: int) -> str:
    """An attempt's id: its invocation's id and its number (stable across retries)."""
    return f"{invocation_id}-{number}"


def truncate_body(text: str | None, limit: int = RESPONSE_BODY_BYTES) -> str | None:
    """At most `limit` bytes of UTF-8, cut on a character boundary."""
    if text is None:
        return None
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def time_prefix(moment: datetime) -> str:
    """The first ten characters of a ULID made at `moment` (its time part)."""
    return str(ULID.from_datetime(moment.astimezone(UTC)))[:10]


@dataclass
class _Stored:
    """An invocation as read or about to be written."""

    record: InvocationRecord
    request: OutboundRequest | None
    attempts: list[AttemptRecord]
    version: int
    expires: int


class InvocationsRepository:
    def __init__(self, table: str, retention_days: int = 7) -> None:
        self.table = table
        self.retention = timedelta(days=retention_days)

    def _expires(self, moment: datetime | None = None) -> int:
        return int(((moment or clock.now()) + self.retention).timestamp())

    # ------------------------------------------------------------ writes
    def create_invocation(
        self, account_id: int, record: InvocationRecord, request: OutboundRequest | None = None
    ) -> InvocationRecord | None:
        """Record a new invocation not attempted yet (and the request it sends). Returns
        None if this call created it, or the invocation recorded before under the same id
        (a redelivered message): nothing is overwritten."""
        stored = _Stored(record, request, [], 1, self._expires(record.created_at))
        if self._put_new(account_id, stored):
            return None
        return self.get_invocation(account_id, record.webhook_id, record.id)

    def record_attempt(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        attempt: AttemptRecord,
        status: InvocationStatus | None = None,
        *,
        new: tuple[InvocationRecord, OutboundRequest] | None = None,
    ) -> bool:
        """Record an attempt, moving the invocation's attempts, latest_completed_at and
        status_code forward (and its status, if given). With `new` (a first attempt of an
        invocation not recorded yet) it is one conditional put of the whole invocation;
        otherwise, or if it was recorded meanwhile, a read and a write conditioned on the
        version. Idempotent by attempt number: a second record of the same number keeps the
        first (returns False) but still sets the status."""
        if new is not None:
            record, request = new
            first = _Stored(record, request, [], 1, self._expires(record.created_at))
            if self._put_new(account_id, _with_attempt(first, attempt, status)):
                return True
        return self._update(account_id, webhook_id, invocation_id, attempt=attempt, status=status)

    def set_status(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        status: InvocationStatus,
        completed_at: datetime | None = None,
    ) -> InvocationRecord:
        """Set the invocation's status (a final status never changes), and move
        latest_completed_at forward to `completed_at` if later. Returns it as stored."""
        self._update(account_id, webhook_id, invocation_id, status=status, completed_at=completed_at)
        return self.get_invocation(account_id, webhook_id, invocation_id)

    def _put_new(self, account_id: int, stored: _Stored) -> bool:
        try:
            aws.dynamodb().put_item(
                TableName=self.table,
                Item=self._item(account_id, stored),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            with mapped_errors():
                raise
        return True

    def _update(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        *,
        attempt: AttemptRecord | None = None,
        status: InvocationStatus | None = None,
        completed_at: datetime | None = None,
    ) -> bool:
        for _ in range(_UPDATE_TRIES):
            current = self._read(account_id, webhook_id, invocation_id)
            added = attempt is not None and all(a.number != attempt.number for a in current.attempts)
            updated = _with_attempt(current, attempt, status) if added and attempt else _with_status(current, status)
            if completed_at is not None and (
                updated.record.latest_completed_at is None or completed_at > updated.record.latest_completed_at
            ):
                updated.record = updated.record.model_copy(update={"latest_completed_at": completed_at})
            if updated.record == current.record and not added:
                return False
            try:
                aws.dynamodb().put_item(
                    TableName=self.table,
                    Item=self._item(account_id, updated),
                    ConditionExpression="#v = :v",
                    ExpressionAttributeNames={"#v": "version"},
                    ExpressionAttributeValues={":v": {"N": str(current.version)}},
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    continue  # changed meanwhile: read again and re-apply
                with mapped_errors():
                    raise
            return added
        raise Conflict("invocation is being updated concurrently, retry")

    # ------------------------------------------------------------ reads
    def get_invocation(self, account_id: int, webhook_id: str, invocation_id: str) -> InvocationRecord:
        return self._read(account_id, webhook_id, invocation_id).record

    def stored_request(self, account_id: int, webhook_id: str, invocation_id: str) -> OutboundRequest | None:
        """The request the invocation sends (None if it kept none)."""
        return self._read(account_id, webhook_id, invocation_id).request

    def list_attempts(self, account_id: int, webhook_id: str, invocation_id: str) -> list[AttemptRecord]:
        """The invocation's attempts, first first, each with the request as sent (its
        payload is the invocation's) and the response; NotFound if it is unknown."""
        stored = self._read(account_id, webhook_id, invocation_id)
        payload = stored.request.body if stored.request is not None and stored.request.body else None
        return [
            a.model_copy(update={"request": a.request.model_copy(update={"payload": payload})}) if a.request else a
            for a in stored.attempts
        ]

    def list_invocations(
        self,
        account_id: int,
        webhook_id: str,
        *,
        limit: int,
        after: str | None = None,
        before: str | None = None,
        descending: bool = True,
        since: datetime | None = None,
        until: datetime | None = None,
        status: InvocationStatus | Collection[InvocationStatus] | None = None,
    ) -> tuple[list[InvocationRecord], bool]:
        """A page in the order invocations came to be, newest first when `descending`.
        `since` / `until` bound that time (inclusive); `status` keeps that status (or those).
        `after` continues in the order; `before` returns the page just before a cursor
        (see `cursor`). The flag says whether more items lie in the direction of travel."""
        if after and before:
            raise BadRequest("page[after] and page[before] cannot be used together")
        pk = invocations_pk(account_id, webhook_id)
        params = self._window(pk, since, until, status)
        if params is None:
            return [], False
        forward = not descending
        start = None
        if after:
            start = decode_cursor(after, pk, "I#")
        elif before:
            try:
                start = decode_cursor(before, pk, "I#")
            except BadRequest:
                raise BadRequest("page[before]: not a cursor this API returned") from None
            forward = not forward
        params["ScanIndexForward"] = forward
        items: list[dict[str, Any]] = []
        # Filters apply after DynamoDB's page limit: read on until one more than a page.
        while len(items) <= limit:
            query = {**params, "Limit": limit + 1 - len(items)}
            if start:
                query["ExclusiveStartKey"] = start
            out = aws.dynamodb().query(**query)
            items += out["Items"]
            start = out.get("LastEvaluatedKey")
            if not start:
                break
        more = len(items) > limit
        page = [_summary(from_item(i)) for i in items[:limit]]
        if before:
            page.reverse()
        return page, more

    def count_events(
        self,
        account_id: int,
        webhook_id: str,
        since: datetime,
        until: datetime,
        statuses: Collection[InvocationStatus],
    ) -> int:
        """How many events the webhook's invocations with one of `statuses` in the window
        carry (an event invoked twice, e.g. redelivered, counts once)."""
        params = self._window(invocations_pk(account_id, webhook_id), since, until, statuses)
        if params is None:
            return 0
        params["ProjectionExpression"] = "event_id"
        events: set[str] = set()
        while True:
            out = aws.dynamodb().query(**params)
            events.update(item["event_id"]["S"] for item in out["Items"])
            if "LastEvaluatedKey" not in out:
                return len(events)
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    @staticmethod
    def cursor(record: InvocationRecord) -> str:
        """The opaque cursor of an invocation in listings (for page[after] / page[before])."""
        cursor = encode_cursor({"SK": {"S": _sk(record.id)}})
        assert cursor is not None
        return cursor

    # ------------------------------------------------------------ items
    def _window(
        self,
        pk: str,
        since: datetime | None,
        until: datetime | None,
        status: InvocationStatus | Collection[InvocationStatus] | None,
    ) -> dict[str, Any] | None:
        """Query parameters for the invocations made between `since` and `until`
        (inclusive, to the millisecond), filtered by status; None when the window is empty."""
        low = "I#" + (time_prefix(since) if since else "")
        high = "I#" + (time_prefix(until + timedelta(milliseconds=1)) if until else "~")
        if low > high:
            return None
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
        }
        if status is not None:
            wanted = [status] if isinstance(status, InvocationStatus) else sorted(status)
            names = {f":st{i}": {"S": s.value} for i, s in enumerate(wanted)}
            params["FilterExpression"] = f"#st IN ({', '.join(names)})"
            params["ExpressionAttributeNames"] = {"#st": "status"}
            params["ExpressionAttributeValues"].update(names)
        return params

    def _read(self, account_id: int, webhook_id: str, invocation_id: str) -> _Stored:
        out = aws.dynamodb().get_item(
            TableName=self.table,
            Key=key(invocations_pk(account_id, webhook_id), _sk(invocation_id)),
            ConsistentRead=True,
        )
        if "Item" not in out:
            raise NotFound()
        item = from_item(out["Item"])
        shown = json.loads(unpack(item["x"])) if item.get("x") else {}
        request = OutboundRequest.model_validate(shown["request"]) if shown.get("request") else None
        attempts = [AttemptRecord.model_validate(a) for a in shown.get("attempts", [])]
        return _Stored(_summary(item), request, attempts, int(item.get("version", 1)), int(item["expires_at"]))

    def _item(self, account_id: int, stored: _Stored) -> dict[str, Any]:
        record = stored.record
        shown: dict[str, Any] = {
            "request": stored.request.model_dump(mode="json") if stored.request else None,
            "attempts": [a.model_dump(mode="json", exclude_none=True) for a in stored.attempts],
        }
        packed = pack(json.dumps(shown, separators=(",", ":"), ensure_ascii=False))
        while len(packed) > ITEM_BUDGET_BYTES and _drop_oldest_payload(shown["attempts"]):
            packed = pack(json.dumps(shown, separators=(",", ":"), ensure_ascii=False))
        return to_item(
            {
                "PK": invocations_pk(account_id, record.webhook_id),
                "SK": _sk(record.id),
                **record.model_dump(mode="json"),
                "x": packed,
                "version": stored.version,
                "expires_at": stored.expires,
            }
        )


def _with_attempt(stored: _Stored, attempt: AttemptRecord | None, status: InvocationStatus | None) -> _Stored:
    record = stored.record
    attempts = list(stored.attempts)
    changes: dict[str, Any] = {}
    if attempt is not None:
        attempts.append(attempt)
        attempts.sort(key=lambda a: a.number)
        if attempt.number > record.attempts:
            changes.update(attempts=attempt.number, status_code=attempt.status_code)
        if record.latest_completed_at is None or attempt.completed_at > record.latest_completed_at:
            changes["latest_completed_at"] = attempt.completed_at
    updated = _Stored(record.model_copy(update=changes), stored.request, attempts, stored.version + 1, stored.expires)
    return _with_status(updated, status, bump=False)


def _with_status(stored: _Stored, status: InvocationStatus | None, bump: bool = True) -> _Stored:
    record = stored.record
    if status is not None and status != record.status and not record.final:
        record = record.model_copy(update={"status": status})
    return _Stored(record, stored.request, stored.attempts, stored.version + int(bump), stored.expires)


def _drop_oldest_payload(attempts: list[dict[str, Any]]) -> bool:
    """Drop the oldest response payload still kept (the item would not fit); False if none is."""
    for attempt in attempts:
        response = attempt.get("response")
        if response and response.get("payload"):
            response["payload"] = None
            response["truncated"] = True
            return True
    return False


def _summary(item: dict[str, Any]) -> InvocationRecord:
    return InvocationRecord(**{k: v for k, v in item.items() if k in _SUMMARY_FIELDS})
