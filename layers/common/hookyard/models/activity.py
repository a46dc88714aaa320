"""Flow executions, their steps, and integration log entries (activity table, TTL)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hookyard.models.common import PageMeta, Timestamp


class ExecutionStatus:
    RUNNING = "running"
    WAITING = "waiting"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TERMINAL = frozenset({SUCCEEDED, FAILED})


class Step(BaseModel):
    key: str
    name: str
    type: str
    input: Any = None
    output: Any = None
    error: str | None = None
    started_at: Timestamp
    ended_at: Timestamp


class Execution(BaseModel):
    id: str
    integration: str
    job_spec: str
    flow_name: str
    event_id: str
    status: str
    attempt: int
    started_at: Timestamp
    ended_at: Timestamp | None = None
    error: str | None = None
    cause: str | None = None
    steps: list[Step] = []


class ExecutionResponse(BaseModel):
    execution: Execution


class LogEntry(BaseModel):
    id: str
    time: Timestamp
    level: str
    message: str
    flow_name: str | None = None
    job_spec: str | None = None
    execution_id: str | None = None


class LogList(BaseModel):
    logs: list[LogEntry]
    meta: PageMeta
