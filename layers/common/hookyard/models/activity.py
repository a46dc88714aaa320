"""Flow executions, their steps, and integration log entries (activity table, TTL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import Field

from hookyard.models.common import Model, PageMeta, Timestamp


class ExecutionStatus:
    RUNNING = "running"
    WAITING = "waiting"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TERMINAL = frozenset({SUCCEEDED, FAILED})


class StepData(Protocol):
    """A state passed, as the flow engine records it (hookyard.flows.engine.StepRecord):
    the values whole; the store cuts what it keeps."""

    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def input(self) -> Any: ...
    @property
    def output(self) -> Any: ...
    @property
    def error(self) -> str | None: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime: ...


class Step(Model):
    """A state passed, as the executions API shows it (inputs and outputs cut)."""

    key: str
    name: str
    type: str
    input: Any = None
    output: Any = None
    error: str | None = None
    started_at: Timestamp
    ended_at: Timestamp


class Execution(Model):
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
    steps: list[Step] = Field(default_factory=list)


class ExecutionResponse(Model):
    execution: Execution


class LogEntry(Model):
    id: str
    time: Timestamp
    level: str
    message: str
    flow_name: str | None = None
    job_spec: str | None = None
    execution_id: str | None = None


class LogList(Model):
    logs: list[LogEntry]
    meta: PageMeta


@dataclass(frozen=True)
class StoredExecution:
    """An execution as the flow runner keeps it between messages: the bundle whose flow
    it runs, and while it waits or retries, where it resumes and the flow's input.
    Executions stored by earlier versions hold the whole event instead of the input."""

    execution: Execution
    bundle: str
    checkpoint: dict[str, Any] | None = None
    flow_input: Any = None
    event: dict[str, Any] | None = None
