"""Invocations per account per minute, counted in the activity table.

PK=RATE#<account>  SK=<minute, epoch seconds>  count, expires after 2 minutes

An invocation is counted once, when its first attempt is admitted: the count goes up only
while it is under the cap (a conditional ADD), so an invocation held back is not counted
in the minute that refused it, and retries are never counted.
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from hookyard import aws
from hookyard.dynamo import key, mapped_errors


class InvocationThrottle:
    def __init__(self, table: str, per_minute: int) -> None:
        self.table = table
        self.per_minute = per_minute

    def admit(self, account_id: int, now: float | None = None) -> float:
        """Count one invocation if the account is under its cap this minute: 0 if it may go
        now, else the seconds until the next minute (the caller delays it: throttled
        invocations are delayed, never dropped)."""
        now = time.time() if now is None else now
        minute = int(now // 60 * 60)
        try:
            aws.dynamodb().update_item(
                TableName=self.table,
                Key=key(f"RATE#{account_id}", str(minute)),
                UpdateExpression="ADD #count :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(#count) OR #count < :cap",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":cap": {"N": str(self.per_minute)},
                    ":expires": {"N": str(minute + 120)},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                with mapped_errors():
                    raise
            return max(1.0, minute + 60 - now)
        return 0.0
