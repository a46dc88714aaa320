"""Messages on the flow queue.

From a job spec's rule (InputTransformer):
  {"kind": "job_spec", "account_id": 1, "integration": "x", "job_spec": "name", "event": {<bus detail>}}
Sent by the runner itself (state lives in the execution record, so messages stay small):
  {"kind": "continue", "account_id": 1, "execution_id": "...", "not_before": <epoch s>}  after a Wait
  {"kind": "retry",    "account_id": 1, "execution_id": "...", "not_before": <epoch s>}  whole-flow retry
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class JobSpecMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Literal["job_spec"]
    account_id: int
    integration: str
    job_spec: str
    event: dict[str, Any]

    @property
    def execution_id(self) -> str:
        """Deterministic: a redelivered message finds the execution it started."""
        event_id = str(self.event.get("event_id") or hashlib.sha256(repr(self.event).encode()).hexdigest()[:26])
        return f"{event_id}-{hashlib.sha256(self.job_spec.encode()).hexdigest()[:8]}"


class ResumeMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Literal["continue", "retry"]
    account_id: int
    execution_id: str
    not_before: float = 0


def parse(body: dict[str, Any]) -> JobSpecMessage | ResumeMessage:
    if body.get("kind") == "job_spec":
        return JobSpecMessage.model_validate(body)
    return ResumeMessage.model_validate(body)
