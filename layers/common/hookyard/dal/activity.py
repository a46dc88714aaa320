"""Executions, steps and logs in the activity table; every item expires by TTL.

Items:
  PK=EXEC#<account>#<execution id>  SK=EXECUTION            the execution
  PK=EXEC#<account>#<execution id>  SK=STEP#<step key>      one per state passed, for people (idempotent
                                                            by key: a replay rewrites, never adds)
  PK=EXEC#<account>#<execution id>  SK=CALL#<call key>      an action's full result, so a replay after a
                                                            crash reuses it instead of calling again
  PK=LOG#<account>#<integration>    SK=<ISO time>#<ulid>    integration log entries, newest last
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from hookyard import aws, clock, ids
from hookyard.dynamo import decode_cursor, encode_cursor, from_item, key, mapped_errors, query_all, to_item
from hookyard.errors import BadRequest, NotFound
from hookyard.models.activity import Execution, ExecutionStatus, LogEntry, Step

LEVELS = ("debug", "info", "warn", "error")
# Step inputs and outputs are kept for people to read, so truncate them; the full
# result of an action is kept separately (up to this size) so a replay can reuse it.
SHOWN_BYTES = 4 * 1024
REPLAY_BYTES = 300 * 1024


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _shown(value: Any) -> str:
    text = _json(value)
    return text if len(text) <= SHOWN_BYTES else text[:SHOWN_BYTES] + "...(truncated)"


class ActivityRepository:
    def __init__(self, table: str, retention_days: int = 7) -> None:
        self.table = table
        self.retention = timedelta(days=retention_days)

    def _expires(self, moment: datetime | None = None) -> int:
        return int(((moment or clock.now()) + self.retention).timestamp())

    # ------------------------------------------------------------ executions
    def start_execution(self, account_id: int, execution: Execution) -> Execution | None:
        """Record a new execution; returns the existing one if it was recorded before
        (a redelivered message), None if this call created it."""
        item = {
            "PK": f"EXEC#{account_id}#{execution.id}",
            "SK": "EXECUTION",
            "expires_at": self._expires(),
            **execution.model_dump(mode="json", exclude={"steps"}),
        }
        try:
            aws.dynamodb().put_item(
                TableName=self.table, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
            )
        except aws.dynamodb().exceptions.ConditionalCheckFailedException:
            return self.get_execution(account_id, execution.id, with_steps=False)
        return None

    def update_execution(self, account_id: int, execution_id: str, **fields: Any) -> None:
        values = {k: (clock.iso(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
        names = {f"#f{i}": k for i, k in enumerate(values)}
        with mapped_errors():
            aws.dynamodb().update_item(
                TableName=self.table,
                Key=key(f"EXEC#{account_id}#{execution_id}", "EXECUTION"),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(values))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    f":v{i}": to_item({"v": v}).get("v", {"NULL": True}) for i, v in enumerate(values.values())
                },
            )

    def get_execution(self, account_id: int, execution_id: str, with_steps: bool = True) -> Execution:
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"EXEC#{account_id}#{execution_id}"}},
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            out = aws.dynamodb().query(**params)
            items += [from_item(i) for i in out["Items"]]
            if "LastEvaluatedKey" not in out or not with_steps:
                break
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        record = next((i for i in items if i["SK"] == "EXECUTION"), None)
        if record is None:
            raise NotFound()
        steps = sorted((i for i in items if i["SK"].startswith("STEP#")), key=lambda i: (i["started_at"], i["SK"]))
        fields = {k: v for k, v in record.items() if k in Execution.model_fields and k != "steps"}
        return Execution(**fields, steps=[_step(s) for s in steps] if with_steps else [])

    def execution_state(self, account_id: int, execution_id: str) -> dict[str, Any] | None:
        """The execution item as stored, including what the runner keeps to resume it."""
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(f"EXEC#{account_id}#{execution_id}", "EXECUTION"), ConsistentRead=True
        )
        return from_item(out["Item"]) if "Item" in out else None

    def record_steps(self, account_id: int, execution_id: str, steps: list[Step]) -> None:
        """Many non-action steps in as few writes as DynamoDB allows (25 per batch)."""
        requests = [{"PutRequest": {"Item": self._step_item(account_id, execution_id, step)}} for step in steps]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start : start + 25]}
            while pending:
                out = aws.dynamodb().batch_write_item(RequestItems=pending)
                pending = out.get("UnprocessedItems") or {}

    def recorded_results(self, account_id: int, execution_id: str) -> dict[str, Any]:
        """Call key -> result of every action call already completed."""
        out: dict[str, Any] = {}
        pk = f"EXEC#{account_id}#{execution_id}"
        for item in query_all(aws.dynamodb(), self.table, pk, "CALL#", consistent=True):
            out[item["SK"].removeprefix("CALL#")] = json.loads(item["result"])
        return out

    def record_call(self, account_id: int, execution_id: str, call_key: str, result: Any) -> None:
        """Keep an action's result for replay (results over REPLAY_BYTES are not kept:
        such an action would be called again after a crash)."""
        full = _json(result)
        if len(full) > REPLAY_BYTES:
            return
        aws.dynamodb().put_item(
            TableName=self.table,
            Item=to_item(
                {
                    "PK": f"EXEC#{account_id}#{execution_id}",
                    "SK": f"CALL#{call_key}",
                    "result": full,
                    "expires_at": self._expires(),
                }
            ),
        )

    def _step_item(self, account_id: int, execution_id: str, step: Step) -> dict[str, Any]:
        item: dict[str, Any] = {
            "PK": f"EXEC#{account_id}#{execution_id}",
            "SK": f"STEP#{step.key}",
            "key": step.key,
            "name": step.name,
            "type": step.type,
            "input": _shown(step.input),
            "output": _shown(step.output),
            "error": step.error,
            "started_at": clock.iso(step.started_at),
            "ended_at": clock.iso(step.ended_at),
            "expires_at": self._expires(),
        }
        return to_item(item)

    # ------------------------------------------------------------ logs
    def log(self, account_id: int, integration: str, level: str, message: str, **context: str | None) -> None:
        now = clock.now()
        entry_id = ids.new_ulid()
        aws.dynamodb().put_item(
            TableName=self.table,
            Item=to_item(
                {
                    "PK": f"LOG#{account_id}#{integration}",
                    "SK": f"{clock.iso(now)}#{entry_id}",
                    "id": entry_id,
                    "time": clock.iso(now),
                    "level": level,
                    "message": message[:4000],
                    "expires_at": self._expires(now),
                    **{k: v for k, v in context.items() if v is not None},
                }
            ),
        )

    def list_logs(
        self,
        account_id: int,
        integration: str,
        *,
        limit: int,
        after: str | None,
        level: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        flow_name: str | None = None,
    ) -> tuple[list[LogEntry], str | None]:
        """Newest first. `level` keeps that level and the more severe ones."""
        pk = f"LOG#{account_id}#{integration}"
        low = clock.iso(since) if since else "0"
        high = clock.iso(until) + "~" if until else "~"
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
            "ScanIndexForward": False,
        }
        filters, names = [], {}
        if level is not None:
            if level not in LEVELS:
                raise BadRequest(f"filter[level]: must be one of {', '.join(LEVELS)}")
            allowed = LEVELS[LEVELS.index(level) :]
            filters.append("#level IN (" + ", ".join(f":l{i}" for i in range(len(allowed))) + ")")
            names["#level"] = "level"
            params["ExpressionAttributeValues"].update({f":l{i}": {"S": v} for i, v in enumerate(allowed)})
        if flow_name is not None:
            filters.append("flow_name = :flow")
            params["ExpressionAttributeValues"][":flow"] = {"S": flow_name}
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
        if names:
            params["ExpressionAttributeNames"] = names
        start = decode_cursor(after, pk, "")
        entries: list[LogEntry] = []
        last_returned: dict[str, Any] | None = None
        more = False
        # Filters apply after DynamoDB's page limit: keep reading until the page is full.
        while not more:
            if start:
                params["ExclusiveStartKey"] = start
            out = aws.dynamodb().query(**{**params, "Limit": limit})
            for raw in out["Items"]:
                if len(entries) == limit:
                    more = True
                    break
                item = from_item(raw)
                entries.append(LogEntry(**{k: v for k, v in item.items() if k in LogEntry.model_fields}))
                last_returned = raw
            start = out.get("LastEvaluatedKey")
            if not start:
                break
            more = more or len(entries) == limit
        return entries, encode_cursor(last_returned) if more else None


def _step(item: dict[str, Any]) -> Step:
    def parsed(text: Any) -> Any:
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            return text

    return Step(
        key=item["key"],
        name=item["name"],
        type=item["type"],
        input=parsed(item.get("input")),
        output=parsed(item.get("output")),
        error=item.get("error"),
        started_at=item["started_at"],
        ended_at=item["ended_at"],
    )


__all__ = ["ActivityRepository", "ExecutionStatus"]
