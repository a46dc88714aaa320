"""Executions, steps and logs in the activity table; every item expires by TTL.

Items:
  PK=EXEC#<account>#<execution id>  SK=EXECUTION              the execution; while it waits or
                                                              retries, also its checkpoint and input
  PK=EXEC#<account>#<execution id>  SK=STEP#<attempt>:<key>   one per state passed (idempotent by
                                                              key: a replay rewrites, never adds); a
                                                              completed action's also holds its whole
                                                              result, so a replay after a crash reuses
                                                              it instead of calling again
  PK=LOG#<account>#<integration>    SK=<ISO time>#<ulid>      integration log entries, newest last

Step inputs and outputs are kept for people to read: their JSON text, cut once, to
SHOWN_CHARS characters (`shown`); an action's result is kept whole (up to REPLAY_BYTES)
and cut the same way when shown. Executions stored by earlier versions (the event as
JSON text, CALL# items for results) still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from hookyard import aws, clock, ids
from hookyard.dynamo import decode_cursor, encode_cursor, from_item, key, mapped_errors, query_all, to_item
from hookyard.errors import BadRequest, NotFound
from hookyard.models.activity import Execution, ExecutionStatus, LogEntry, Step, StepData, StoredExecution

LEVELS = ("debug", "info", "warn", "error")
SHOWN_CHARS = 2048
REPLAY_BYTES = 300 * 1024
TRUNCATED = "... (truncated, {} characters)"
STEP_PREFIX = "STEP#"
_EXECUTION = "EXECUTION"

# json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str), one encoder for all
_TO_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def shown(text: str) -> str:
    """Step data (JSON text) as kept for people: whole, or its first SHOWN_CHARS
    characters and how long it was."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + TRUNCATED.format(len(text))


def _shown_value(text: str) -> Any:
    """What the executions API shows of kept step data: the value, or the cut text."""
    try:
        return json.loads(text)
    except ValueError:  # cut, so not JSON any more
        return text


class ActivityRepository:
    def __init__(self, table: str, retention_days: int = 7) -> None:
        self.table = table
        self.retention = timedelta(days=retention_days)

    def _expires(self, moment: datetime | None = None) -> int:
        return int(((moment or clock.now()) + self.retention).timestamp())

    # ------------------------------------------------------------ executions
    def start_execution(self, account_id: int, execution: Execution, bundle: str) -> StoredExecution | None:
        """Record a new execution of a flow of `bundle`; returns the execution as stored
        if it was recorded before (a redelivered message), None if this call created it."""
        item = {
            "PK": f"EXEC#{account_id}#{execution.id}",
            "SK": _EXECUTION,
            "expires_at": self._expires(),
            **execution.model_dump(mode="json", exclude={"steps"}),
            "bundle": bundle,
        }
        try:
            aws.dynamodb().put_item(
                TableName=self.table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(PK)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except aws.dynamodb().exceptions.ConditionalCheckFailedException as exc:
            old: Any = exc.response.get("Item")  # asked for: ReturnValuesOnConditionCheckFailure
            return _stored(from_item(old)) if old else self.execution_state(account_id, execution.id)
        return None

    def update_execution(self, account_id: int, execution_id: str, **fields: str | int | datetime | None) -> None:
        """Set these fields of the execution item; a None removes the field."""
        values = {k: (clock.iso(v) if isinstance(v, datetime) else v) for k, v in fields.items() if v is not None}
        removed = [k for k, v in fields.items() if v is None]
        names = {f"#f{i}": k for i, k in enumerate([*values, *removed])}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(values))) if values else ""
        if removed:
            expression += " REMOVE " + ", ".join(f"#f{i}" for i in range(len(values), len(names)))
        params: dict[str, Any] = {
            "TableName": self.table,
            "Key": key(f"EXEC#{account_id}#{execution_id}", _EXECUTION),
            "UpdateExpression": expression.strip(),
            "ExpressionAttributeNames": names,
        }
        if values:
            params["ExpressionAttributeValues"] = to_item({f":v{i}": v for i, v in enumerate(values.values())})
        with mapped_errors():
            aws.dynamodb().update_item(**params)

    def get_execution(self, account_id: int, execution_id: str) -> Execution:
        """The execution and every state it passed, in the order they ran."""
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
            if "LastEvaluatedKey" not in out:
                break
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        record = next((i for i in items if i["SK"] == _EXECUTION), None)
        if record is None:
            raise NotFound()
        steps = sorted((i for i in items if i["SK"].startswith(STEP_PREFIX)), key=lambda i: (i["started_at"], i["SK"]))
        return _execution(record).model_copy(update={"steps": [_step(s) for s in steps]})

    def execution_state(self, account_id: int, execution_id: str) -> StoredExecution | None:
        """The execution as stored, with what the runner keeps to resume it."""
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(f"EXEC#{account_id}#{execution_id}", _EXECUTION), ConsistentRead=True
        )
        return _stored(from_item(out["Item"])) if "Item" in out else None

    # ------------------------------------------------------------ steps
    def record_action(self, account_id: int, execution_id: str, attempt: int, step: StepData) -> None:
        """A completed action's step, its result (`step.output`) kept whole for replay.
        A result over REPLAY_BYTES is kept as shown only: after a crash that action would
        be called again."""
        aws.dynamodb().put_item(
            TableName=self.table, Item=self._step_item(account_id, execution_id, attempt, step, self._expires(), True)
        )

    def record_steps(self, account_id: int, execution_id: str, attempt: int, steps: Iterable[StepData]) -> None:
        """Steps in as few writes as DynamoDB allows (25 per batch)."""
        expires = self._expires()
        requests = [
            {"PutRequest": {"Item": self._step_item(account_id, execution_id, attempt, step, expires)}}
            for step in steps
        ]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start : start + 25]}
            while pending:
                out = aws.dynamodb().batch_write_item(RequestItems=pending)
                pending = out.get("UnprocessedItems") or {}

    def recorded_results(self, account_id: int, execution_id: str, attempt: int) -> dict[str, Any]:
        """Step key -> result of every action of this attempt already completed."""
        out: dict[str, Any] = {}
        pk, prefix = f"EXEC#{account_id}#{execution_id}", f"{STEP_PREFIX}{attempt}:"
        for item in query_all(aws.dynamodb(), self.table, pk, prefix, consistent=True):
            if "result" in item:
                out[item["SK"].removeprefix(prefix)] = json.loads(item["result"])
        return out

    def _step_item(
        self, account_id: int, execution_id: str, attempt: int, step: StepData, expires: int, replay: bool = False
    ) -> dict[str, Any]:
        # Built as DynamoDB's attribute values directly: there is one per state passed.
        item: dict[str, Any] = {
            "PK": {"S": f"EXEC#{account_id}#{execution_id}"},
            "SK": {"S": f"{STEP_PREFIX}{attempt}:{step.key}"},
            "name": {"S": step.name},
            "type": {"S": step.type},
            "started_at": {"S": clock.iso(step.started_at)},
            "ended_at": {"S": clock.iso(step.ended_at)},
            "expires_at": {"N": str(expires)},
        }
        if step.input is not None:
            item["input"] = {"S": shown(_TO_JSON(step.input))}
        if step.output is not None:
            text = _TO_JSON(step.output)
            if replay and (len(text) <= REPLAY_BYTES // 4 or len(text.encode()) <= REPLAY_BYTES):
                item["result"] = {"S": text}
            else:
                item["output"] = {"S": shown(text)}
        elif replay:
            item["result"] = {"S": "null"}
        if step.error is not None:
            item["error"] = {"S": step.error}
        return item

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


def _execution(item: dict[str, Any]) -> Execution:
    return Execution(**{k: v for k, v in item.items() if k in Execution.model_fields and k != "steps"})


def _stored(item: dict[str, Any]) -> StoredExecution:
    checkpoint, flow_input, event = item.get("checkpoint"), item.get("flow_input"), item.get("event")
    return StoredExecution(
        execution=_execution(item),
        bundle=item.get("bundle", ""),  # none: its flow is not found, and it fails cleanly
        checkpoint=json.loads(checkpoint) if checkpoint else None,
        flow_input=json.loads(flow_input) if flow_input else None,
        event=json.loads(event) if event else None,
    )


def _step(item: dict[str, Any]) -> Step:
    output: Any = None
    if "result" in item:
        output = _shown_value(shown(item["result"]))
    elif "output" in item:
        output = _shown_value(item["output"])
    return Step(
        key=item["SK"].removeprefix(STEP_PREFIX),
        name=item["name"],
        type=item["type"],
        input=_shown_value(item["input"]) if "input" in item else None,
        output=output,
        error=item.get("error"),
        started_at=item["started_at"],
        ended_at=item["ended_at"],
    )


__all__ = ["ActivityRepository", "ExecutionStatus"]
