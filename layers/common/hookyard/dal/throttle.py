"""Invocations per account per minute, counted in the activity table.

PK=RATE#<account>  SK=<minute, epoch seconds>  count (atomic ADD), expires after 2 minutes
"""

from __future__ import annotations

import time

from hookyard import aws
from hookyard.dynamo import key


class InvocationThrottle:
    def __init__(self, table: str, per_minute: int) -> None:
        self.table = table
        self.per_minute = per_minute

    def admit(self, account_id: int, now: float | None = None) -> float:
        """Count one invocation; 0 if it may go now, else the seconds until the next minute
        (the caller delays it: throttled invocations are delayed, never dropped)."""
        now = time.time() if now is None else now
        minute = int(now // 60 * 60)
        out = aws.dynamodb().update_item(
            TableName=self.table,
            Key=key(f"RATE#{account_id}", str(minute)),
            UpdateExpression="ADD #count :one SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(minute + 120)}},
            ReturnValues="UPDATED_NEW",
        )
        if int(out["Attributes"]["count"]["N"]) <= self.per_minute:
            return 0.0
        return max(1.0, minute + 60 - now)
