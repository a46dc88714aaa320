"""Run one flow-queue message: start, resume or retry an execution of a job spec's flow.

Durability: the execution record is written before the flow starts; every Action's
result is recorded (by step key) before the flow moves on, so a crash and redelivery
replays completed actions from their records instead of calling out again; the outcome
is recorded before the message is acknowledged. Waits and whole-flow retries are new,
delayed messages; the state they resume from lives in the execution record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flow_runner.executor import ActionExecutor
from flow_runner.log import logger
from hookyard import clock, queues
from hookyard.dal.accounts import AccountsRepository
from hookyard.dal.activity import ActivityRepository
from hookyard.dal.registry import RegistryRepository
from hookyard.errors import NotFound
from hookyard.flows import engine
from hookyard.flows.bundle import validate_bundle
from hookyard.messages import JobSpecMessage, ResumeMessage
from hookyard.models.activity import Execution, ExecutionStatus, Step
from hookyard.models.registry import JobSpecState

MAX_CHECKPOINT_BYTES = 300 * 1024  # a DynamoDB item holds 400 KB; leave room for the rest


@dataclass(frozen=True)
class Outcome:
    status: str
    error: str | None = None


@dataclass
class Runner:
    config_table: str
    activity: ActivityRepository
    queue: queues.Queue
    executor_factory: Any  # (account_id, integration, bundle, recorded, attempt, execution_id) -> ActionExecutor

    # ------------------------------------------------------------ entry points
    def handle(self, message: JobSpecMessage | ResumeMessage) -> Outcome | None:
        if isinstance(message, ResumeMessage):
            if (wait := queues.due_in(message.model_dump())) > 0:
                self.queue.send_later(message.model_dump(), wait)  # a wait longer than SQS's 15 min hops
                return None
            return self._resume(message)
        return self._start(message)

    def _start(self, message: JobSpecMessage) -> Outcome | None:
        registry = RegistryRepository(self.config_table)
        try:
            job_spec = registry.get_job_spec(message.account_id, message.integration, message.job_spec)
        except NotFound:
            logger.info("job spec gone; event dropped", job_spec=message.job_spec)
            return None
        if job_spec.state != JobSpecState.INSTALLED:
            logger.info("job spec not installed; event dropped", job_spec=message.job_spec)
            return None
        execution = Execution(
            id=message.execution_id,
            integration=message.integration,
            job_spec=message.job_spec,
            flow_name=job_spec.flow_name,
            event_id=str(message.event.get("event_id", "")),
            status=ExecutionStatus.RUNNING,
            attempt=1,
            started_at=clock.now(),
        )
        existing = self.activity.start_execution(message.account_id, execution)
        if existing is not None and existing.status != ExecutionStatus.RUNNING:
            # A redelivered message for an execution that already moved on: nothing to do.
            return None
        self.activity.update_execution(
            message.account_id,
            execution.id,
            bundle=job_spec.bundle,
            event=json.dumps(message.event),
        )
        if existing is None:
            self._log(message.account_id, execution, "info", f"execution started for event {execution.event_id}")
        return self._run(message.account_id, execution.id, checkpoint=None)

    def _resume(self, message: ResumeMessage) -> Outcome | None:
        state = self.activity.execution_state(message.account_id, message.execution_id)
        if state is None or state["status"] in ExecutionStatus.TERMINAL:
            return None
        if message.kind == "retry" and state["status"] == ExecutionStatus.RETRYING:
            attempt = int(state["attempt"]) + 1
            self.activity.update_execution(
                message.account_id,
                message.execution_id,
                status=ExecutionStatus.RUNNING,
                attempt=attempt,
                checkpoint=None,
            )
            return self._run(message.account_id, message.execution_id, checkpoint=None)
        checkpoint = json.loads(state["checkpoint"]) if state.get("checkpoint") else None
        self.activity.update_execution(message.account_id, message.execution_id, status=ExecutionStatus.RUNNING)
        return self._run(message.account_id, message.execution_id, checkpoint=checkpoint)

    # ------------------------------------------------------------ running
    def _run(self, account_id: int, execution_id: str, checkpoint: dict[str, Any] | None) -> Outcome:
        state = self.activity.execution_state(account_id, execution_id)
        assert state is not None
        execution = Execution(**{k: v for k, v in state.items() if k in Execution.model_fields})
        integration, attempt = execution.integration, execution.attempt
        registry = RegistryRepository(self.config_table)
        stored = registry.get_bundle_by_name(account_id, integration, state["bundle"])
        if stored is None:
            return self._finish(
                account_id,
                execution,
                ExecutionStatus.FAILED,
                "States.Runtime",
                "the bundle holding this flow was removed",
            )
        bundle = validate_bundle(
            {
                "zis_template_version": stored.zis_template_version,
                "name": stored.name,
                "description": stored.description,
                "resources": stored.resources,
            },
            integration,
        )
        flow_name = execution.flow_name.rsplit(":", 1)[-1]
        definition = bundle.flows[flow_name]
        event = json.loads(state["event"])
        # An event from a Zendesk source names its Zendesk account, as ZIS's flows read it.
        zendesk = event.get("zendesk") if isinstance(event.get("zendesk"), dict) else {}
        data = {
            "account_id": zendesk.get("account_id", account_id),
            "integration_key": integration,
            "subdomain": zendesk["subdomain"] if "subdomain" in zendesk else self._subdomain(account_id),
            "input": event.get("body"),
        }
        recorded = self.activity.recorded_results(account_id, execution_id)
        executor: ActionExecutor = self.executor_factory(
            account_id, integration, bundle, recorded, attempt, execution_id
        )
        result = engine.run_flow(definition, data, executor, checkpoint=checkpoint, attempt=attempt)
        self.activity.record_steps(account_id, execution_id, [_step(attempt, record) for record in result.steps])
        outcome = result.outcome
        if isinstance(outcome, engine.Waiting):
            saved = json.dumps(outcome.checkpoint, separators=(",", ":"))
            if len(saved.encode()) > MAX_CHECKPOINT_BYTES:
                # The flow data must fit in the execution record to be resumed.
                return self._finish(
                    account_id,
                    execution,
                    ExecutionStatus.FAILED,
                    "States.LimitExceeded",
                    f"the flow's data is {len(saved.encode())} bytes at a Wait; at most "
                    f"{MAX_CHECKPOINT_BYTES} bytes can be kept while it waits",
                )
            self.activity.update_execution(account_id, execution_id, status=ExecutionStatus.WAITING, checkpoint=saved)
            self.queue.send_later(
                {"kind": "continue", "account_id": account_id, "execution_id": execution_id}, outcome.seconds
            )
            self._log(account_id, execution, "info", f"waiting {outcome.seconds} s")
            return Outcome(ExecutionStatus.WAITING)
        if isinstance(outcome, engine.RetryFlow):
            # run_flow answers Failed once the retry schedule gives up.
            delay = outcome.delay_seconds
            self.activity.update_execution(
                account_id, execution_id, status=ExecutionStatus.RETRYING, error=outcome.error, cause=outcome.cause
            )
            self.queue.send_later({"kind": "retry", "account_id": account_id, "execution_id": execution_id}, delay)
            self._log(
                account_id,
                execution,
                "warn",
                f"attempt {attempt} failed ({outcome.cause}); retrying the flow in {delay:g} s",
            )
            return Outcome(ExecutionStatus.RETRYING, outcome.error)
        if isinstance(outcome, engine.Failed):
            return self._finish(account_id, execution, ExecutionStatus.FAILED, outcome.error, outcome.cause)
        return self._finish(account_id, execution, ExecutionStatus.SUCCEEDED, None, None, outcome.message)

    def _finish(
        self, account_id: int, execution: Execution, status: str, error: str | None, cause: str | None, text: str = ""
    ) -> Outcome:
        self.activity.update_execution(
            account_id, execution.id, status=status, ended_at=clock.now(), error=error, cause=cause, checkpoint=None
        )
        if status == ExecutionStatus.SUCCEEDED:
            self._log(account_id, execution, "info", text)  # the flow's Succeed Message, as ZIS logs it
        else:
            self._log(account_id, execution, "error", f"execution failed: {error}: {cause}")
        return Outcome(status, error)

    # ------------------------------------------------------------ helpers
    def _log(self, account_id: int, execution: Execution, level: str, message: str) -> None:
        self.activity.log(
            account_id,
            execution.integration,
            level,
            message,
            flow_name=execution.flow_name,
            job_spec=execution.job_spec,
            execution_id=execution.id,
        )

    def _subdomain(self, account_id: int) -> str:
        try:
            return AccountsRepository(self.config_table).get_account(account_id).name
        except NotFound:
            return ""


def _step(attempt: int, record: Any) -> Step:
    return Step(
        key=f"{attempt}:{record.key}",
        name=record.name,
        type=record.type,
        input=record.input,
        output=record.output,
        error=record.error,
        started_at=record.started_at,
        ended_at=record.ended_at,
    )
