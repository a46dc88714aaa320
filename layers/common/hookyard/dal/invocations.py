"""Webhook invocations and their attempts in the activity table; every item expires by TTL.

Written by the delivery function, read by the webhooks API.

Items (PK=INV#<account>#<webhook id>):
  SK=I#<invocation id>                  the invocation (source of truth, optimistic `version`)
  SK=T#<time>#<invocation id>           a copy for listing: <time> is latest_completed_at, or
                                        created_at until an attempt completes. Sorting and
                                        filtering by time are key ranges on this item; it
                                        moves (delete + put, in one transaction with the
                                        invocation) when latest_completed_at changes
  SK=A#<invocation id>#<attempt:03d>    one attempt (idempotent by number: first write wins): its
                                        request headers (secrets redacted), the response's
                                        headers and payload (zlib, at most 16 KB of it)
  SK=R#<invocation id>                  the request the invocation sends (method, query,
                                        content type, payload zlib-compressed): written once
                                        with the invocation, shown with every attempt, and
                                        what a redelivery or a recovery sends again
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from hookyard import aws, clock
from hookyard.dynamo import (
    decode_cursor,
    encode_cursor,
    from_item,
    key,
    mapped_errors,
    pack,
    query_all,
    to_item,
    unpack,
)
from hookyard.errors import BadRequest, Conflict, NotFound
from hookyard.messages import OutboundRequest
from hookyard.models.webhooks import (
    AttemptRecord,
    InvocationRecord,
    InvocationStatus,
    RecordedRequest,
    RecordedResponse,
)

RESPONSE_BODY_BYTES = 1024  # the attempt's legacy `response_body`
_INVOCATION_FIELDS = tuple(InvocationRecord.model_fields)
_UPDATE_TRIES = 5


def invocations_pk(account_id: int, webhook_id: str) -> str:
    return f"INV#{account_id}#{webhook_id}"


def _invocation_sk(invocation_id: str) -> str:
    return f"I#{invocation_id}"


def _index_sk(record: InvocationRecord) -> str:
    return f"T#{clock.iso(record.latest_completed_at or record.created_at)}#{record.id}"


def _attempt_sk(invocation_id: str, number: int) -> str:
    return f"A#{invocation_id}#{number:03d}"


def _request_sk(invocation_id: str) -> str:
    return f"R#{invocation_id}"


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


class InvocationsRepository:
    def __init__(self, table: str, retention_days: int = 7) -> None:
        self.table = table
        self.retention = timedelta(days=retention_days)
        # Invocations this instance just created, as written: the attempt that follows
        # updates them without reading them back first (its write is conditioned on
        # the version all the same, so a stale copy only costs a read and a retry).
        self._created: dict[tuple[str, str], tuple[InvocationRecord, int, int]] = {}

    def _expires(self, moment: datetime | None = None) -> int:
        return int(((moment or clock.now()) + self.retention).timestamp())

    # ------------------------------------------------------------ writes (delivery)
    def create_invocation(
        self, account_id: int, record: InvocationRecord, request: OutboundRequest | None = None
    ) -> InvocationRecord | None:
        """Record a new invocation (and the request it sends, if given). Returns None if
        this call created it, or the invocation recorded before under the same id (a
        redelivered message): nothing is overwritten."""
        pk = invocations_pk(account_id, record.webhook_id)
        expires = self._expires(record.created_at)
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._item(pk, record, expires, version=1),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"Put": {"TableName": self.table, "Item": self._index_item(pk, record, expires)}},
        ]
        if request is not None:
            writes.append({"Put": {"TableName": self.table, "Item": _request_item(pk, record.id, request, expires)}})
        try:
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as exc:
            if _cancelled_by_condition(exc):
                return self.get_invocation(account_id, record.webhook_id, record.id)
            with mapped_errors():
                raise
        self._created[(pk, record.id)] = (record, 1, expires)
        return None

    def stored_request(self, account_id: int, webhook_id: str, invocation_id: str) -> OutboundRequest | None:
        """The request the invocation sends (None for one recorded before requests were kept)."""
        out = aws.dynamodb().get_item(
            TableName=self.table,
            Key=key(invocations_pk(account_id, webhook_id), _request_sk(invocation_id)),
            ConsistentRead=True,
        )
        return _request(from_item(out["Item"])) if "Item" in out else None

    def record_attempt(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        attempt: AttemptRecord,
        status: InvocationStatus | None = None,
    ) -> bool:
        """Record an attempt and move the invocation's `attempts`, `latest_completed_at` and
        `status_code` forward (and set its `status`, if given), in one transaction.
        Idempotent by attempt number: a second record of the same number keeps the first
        (returns False) but still repairs the invocation's summary."""
        item = {
            "PK": invocations_pk(account_id, webhook_id),
            "SK": _attempt_sk(invocation_id, attempt.number),
            "invocation_id": invocation_id,
            "number": attempt.number,
            "status": attempt.status.value,
            "status_code": attempt.status_code,
            "completed_at": clock.iso(attempt.completed_at),
            "duration_ms": attempt.duration_ms,
            "error": attempt.error,
            "expires_at": self._expires(),
        }
        if attempt.request is not None:
            item["request_headers"] = attempt.request.headers
        if attempt.response is not None:
            item["response_headers"] = attempt.response.headers
            item["response_truncated"] = attempt.response.truncated
            if attempt.response.payload:
                item["response_payload"] = pack(attempt.response.payload)
        put = {
            "Put": {"TableName": self.table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}
        }
        _, created = self._update(
            account_id,
            webhook_id,
            invocation_id,
            status=status,
            attempts=attempt.number,
            status_code=attempt.status_code,
            completed_at=attempt.completed_at,
            with_write=put,
        )
        return created

    def set_status(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        status: InvocationStatus,
        completed_at: datetime | None = None,
    ) -> InvocationRecord:
        """Set the invocation's status (and move latest_completed_at forward to
        `completed_at`, if later). Returns the invocation as stored."""
        return self._update(account_id, webhook_id, invocation_id, status=status, completed_at=completed_at)[0]

    def _update(
        self,
        account_id: int,
        webhook_id: str,
        invocation_id: str,
        *,
        status: InvocationStatus | None = None,
        completed_at: datetime | None = None,
        attempts: int | None = None,
        status_code: int | None = None,
        with_write: dict[str, Any] | None = None,
    ) -> tuple[InvocationRecord, bool]:
        """Apply the changes to the invocation (read, then a transaction conditioned on
        its version; again on a lost race). A final status never changes. `with_write`,
        a conditional Put of another item, goes in the same transaction; if its condition
        fails it is dropped. Returns the invocation as stored and whether `with_write`
        was written."""
        pk = invocations_pk(account_id, webhook_id)
        known = self._created.pop((pk, invocation_id), None)
        for _ in range(_UPDATE_TRIES):
            current, version, expires = known or self._read(pk, invocation_id)
            known = None
            changes: dict[str, Any] = {}
            if status is not None and status != current.status and not current.final:
                changes["status"] = status
            if completed_at is not None and (
                current.latest_completed_at is None or completed_at > current.latest_completed_at
            ):
                changes["latest_completed_at"] = completed_at
            if attempts is not None and attempts > current.attempts:
                changes["attempts"] = attempts
                changes["status_code"] = status_code
            writes: list[dict[str, Any]] = [with_write] if with_write else []
            updated = current.model_copy(update=changes)
            if changes:
                writes.append(
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": self._item(pk, updated, expires, version=version + 1),
                            "ConditionExpression": "#v = :v",
                            "ExpressionAttributeNames": {"#v": "version"},
                            "ExpressionAttributeValues": {":v": {"N": str(version)}},
                        }
                    }
                )
                if _index_sk(updated) != _index_sk(current):
                    writes.append({"Delete": {"TableName": self.table, "Key": key(pk, _index_sk(current))}})
                writes.append({"Put": {"TableName": self.table, "Item": self._index_item(pk, updated, expires)}})
            if not writes:
                return current, False
            try:
                aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
            except ClientError as exc:
                if not _cancelled_by_condition(exc):
                    with mapped_errors():
                        raise
                if with_write and _failed_condition(exc, 0):
                    with_write = None  # already written before (a redelivered attempt): keep the first
                continue  # and if the invocation changed meanwhile: read again and re-apply
            return updated, with_write is not None
        raise Conflict("invocation is being updated concurrently, retry")

    # ------------------------------------------------------------ reads (API)
    def get_invocation(self, account_id: int, webhook_id: str, invocation_id: str) -> InvocationRecord:
        return self._read(invocations_pk(account_id, webhook_id), invocation_id)[0]

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
        """A page ordered by latest_completed_at (created_at until an attempt completes),
        newest first when `descending`. `since` / `until` bound that time (inclusive);
        `status` keeps that status (or those statuses).
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
            start = decode_cursor(after, pk, "T#")
        elif before:
            try:
                start = decode_cursor(before, pk, "T#")
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
        page = [_invocation(from_item(i)) for i in items[:limit]]
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

    def _window(
        self,
        pk: str,
        since: datetime | None,
        until: datetime | None,
        status: InvocationStatus | Collection[InvocationStatus] | None,
    ) -> dict[str, Any] | None:
        """Query parameters for the time index between `since` and `until` (inclusive),
        filtered by status; None when the window is empty."""
        low = "T#" + (clock.iso(since) if since else "")
        high = "T#" + (clock.iso(until) + "#~" if until else "~")
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

    @staticmethod
    def cursor(record: InvocationRecord) -> str:
        """The opaque cursor of an invocation in listings (for page[after] / page[before])."""
        cursor = encode_cursor({"SK": {"S": _index_sk(record)}})
        assert cursor is not None
        return cursor

    def list_attempts(self, account_id: int, webhook_id: str, invocation_id: str) -> list[AttemptRecord]:
        """The invocation's attempts, first first, each with the request as sent and the
        response; NotFound if the invocation is unknown."""
        self.get_invocation(account_id, webhook_id, invocation_id)
        pk = invocations_pk(account_id, webhook_id)
        request = self.stored_request(account_id, webhook_id, invocation_id)
        payload = request.body if request is not None and request.body else None
        return [_attempt(item, payload) for item in query_all(aws.dynamodb(), self.table, pk, f"A#{invocation_id}#")]

    # ------------------------------------------------------------ items
    def _read(self, pk: str, invocation_id: str) -> tuple[InvocationRecord, int, int]:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(pk, _invocation_sk(invocation_id)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        item = from_item(out["Item"])
        return _invocation(item), int(item.get("version", 1)), int(item["expires_at"])

    def _item(self, pk: str, record: InvocationRecord, expires: int, version: int) -> dict[str, Any]:
        return to_item(
            {
                "PK": pk,
                "SK": _invocation_sk(record.id),
                **record.model_dump(mode="json"),
                "version": version,
                "expires_at": expires,
            }
        )

    def _index_item(self, pk: str, record: InvocationRecord, expires: int) -> dict[str, Any]:
        return to_item({"PK": pk, "SK": _index_sk(record), **record.model_dump(mode="json"), "expires_at": expires})


def _invocation(item: dict[str, Any]) -> InvocationRecord:
    return InvocationRecord(**{k: v for k, v in item.items() if k in _INVOCATION_FIELDS})


_ATTEMPT_FIELDS = ("number", "status", "status_code", "completed_at", "duration_ms", "error")


def _attempt(item: dict[str, Any], request_payload: str | None) -> AttemptRecord:
    fields = {k: item.get(k) for k in _ATTEMPT_FIELDS}
    request = response = None
    if "request_headers" in item:
        request = RecordedRequest(headers=item["request_headers"], payload=request_payload)
    if "response_headers" in item:
        packed = item.get("response_payload")
        response = RecordedResponse(
            headers=item["response_headers"],
            payload=unpack(packed) if packed else None,
            truncated=bool(item.get("response_truncated")),
        )
    elif item.get("response_body") is not None:  # recorded before responses were kept whole
        response = RecordedResponse(headers={}, payload=item["response_body"], truncated=True)
    return AttemptRecord(**fields, request=request, response=response)


def _request_item(pk: str, invocation_id: str, request: OutboundRequest, expires: int) -> dict[str, Any]:
    fields = request.model_dump(exclude={"body"})
    return to_item(
        {"PK": pk, "SK": _request_sk(invocation_id), **fields, "body": pack(request.body), "expires_at": expires}
    )


def _request(item: dict[str, Any]) -> OutboundRequest:
    fields = {k: item.get(k) for k in OutboundRequest.model_fields if k != "body"}
    return OutboundRequest(**{k: v for k, v in fields.items() if v is not None}, body=unpack(item["body"]))


def _cancelled_by_condition(exc: ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    reasons = exc.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
    return code == "TransactionCanceledException" and any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)


def _failed_condition(exc: ClientError, index: int) -> bool:
    """Whether the `index`th write of a cancelled transaction failed its condition."""
    reasons = exc.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
    return len(reasons) > index and reasons[index].get("Code") == "ConditionalCheckFailed"
