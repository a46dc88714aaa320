"""Invocations per account per minute, counted in the activity table.

PK=RATE#<account>  SK=<minute, epoch seconds>  count, expires after 2 minutes

An invocation is counted once, when its first attempt is admitted; retries are never
counted. A delivery batch asks for all its first attempts at once: one atomic ADD, and
the part over the cap given back (a second ADD, only when the cap is reached), so a held
invocation does not count in the minute that refused it.
"""

from __future__ import annotations

import time

from hookyard import aws
from hookyard.dynamo import key, mapped_errors


class InvocationThrottle:
    def __init__(self, table: str, per_minute: int) -> None:
        self.table = table
        self.per_minute = per_minute

    def admit_many(self, account_id: int, count: int, now: float | None = None) -> tuple[int, float]:
        """Admit up to `count` invocations of the account this minute: how many may go
        now, and the seconds until the next minute for the rest (the caller delays them:
        throttled invocations are delayed, never dropped)."""
        now = time.time() if now is None else now
        minute = int(now // 60 * 60)
        wait = max(1.0, minute + 60 - now)
        total = self._add(account_id, minute, count)
        admitted = max(0, min(count, self.per_minute - (total - count)))
        if admitted < count:
            self._add(account_id, minute, admitted - count)
        return admitted, wait

    def admit(self, account_id: int, now: float | None = None) -> float:
        """One invocation: 0 if it may go now, else the seconds until the next minute."""
        admitted, wait = self.admit_many(account_id, 1, now)
        return 0.0 if admitted else wait

    def _add(self, account_id: int, minute: int, count: int) -> int:
        with mapped_errors():
            out = aws.dynamodb().update_item(
                TableName=self.table,
                Key=key(f"RATE#{account_id}", str(minute)),
                UpdateExpression="ADD #count :n SET expires_at = if_not_exists(expires_at, :expires)",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={":n": {"N": str(count)}, ":expires": {"N": str(minute + 120)}},
                ReturnValues="UPDATED_NEW",
            )
        return int(out["Attributes"]["count"]["N"])
