"""Run one flow-queue message: start, resume or retry an execution of a job spec's flow.

Durability: the execution record is written before the flow starts; every completed
Action's step is recorded with its result (by step key) before the flow moves on, so a
crash and redelivery replays completed actions from their records instead of calling
out again; the other steps and the outcome are recorded before the message is
acknowledged. Waits and whole-flow retries are new, delayed messages; the state they
resume from (the checkpoint, the flow's input) lives in the execution record, written
only then.

Each message does its work once: the flow is read as the upload validated it (never
validated again), the event stays in memory, and nothing written is read back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
from hookyard.messages import JobSpecMessage, ResumeMessage
from hookyard.models.activity import Execution, ExecutionStatus, StoredExecution
from hookyard.models.registry import JobSpecState

MAX_CHECKPOINT_BYTES = 300 * 1024  # a DynamoDB item holds 400 KB; leave room for the rest

# (account_id, integration, actions, recorded results) -> the executor of one run
ExecutorFactory = Callable[[int, str, dict[str, Any], dict[str, Any]], ActionExecutor]


@dataclass(frozen=True)
class Outcome:
    status: str
    error: str | None = None


@dataclass
class Runner:
    config_table: str
    activity: ActivityRepository
    queue: queues.Queue
    executor_factory: ExecutorFactory

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
        existing = self.activity.start_execution(message.account_id, execution, job_spec.bundle)
        if existing is not None:
            if existing.execution.status != ExecutionStatus.RUNNING:
                # A redelivered message for an execution that already moved on: nothing to do.
                return None
            execution = existing.execution  # a redelivery: run it again, replaying what it did
        # No "started" log entry: the execution record says it runs (one write fewer per
        # execution); the integration's log gets its outcome, as in ZIS.
        data = self._flow_input(message.account_id, message.integration, message.event)
        return self._run(message.account_id, execution, job_spec.bundle, data, None, fresh=existing is None)

    def _resume(self, message: ResumeMessage) -> Outcome | None:
        # Nothing is written before the run: its outcome is, and until then a redelivered
        # message finds the execution as it was and resumes it the same way.
        stored = self.activity.execution_state(message.account_id, message.execution_id)
        if stored is None or stored.execution.status in ExecutionStatus.TERMINAL:
            return None
        execution, data = stored.execution, self._kept_input(message.account_id, stored)
        if message.kind == "retry" and execution.status == ExecutionStatus.RETRYING:
            retried = execution.model_copy(update={"attempt": execution.attempt + 1})
            return self._run(message.account_id, retried, stored.bundle, data, None, stored_attempt=execution.attempt)
        return self._run(message.account_id, execution, stored.bundle, data, stored.checkpoint)

    # ------------------------------------------------------------ running
    def _run(
        self,
        account_id: int,
        execution: Execution,
        bundle: str,
        data: Any,
        checkpoint: dict[str, Any] | None,
        fresh: bool = False,
        stored_attempt: int | None = None,
    ) -> Outcome:
        """Runs the flow (from `checkpoint`, if given) and records its steps and outcome.
        `fresh`: the execution was created just now, so no action of it is recorded yet.
        `stored_attempt`: the attempt stored, when this run is the next one (a retry)."""
        # The execution as this message found it: put back if its wake-up cannot be sent.
        found = {
            "status": execution.status,
            "attempt": execution.attempt if stored_attempt is None else stored_attempt,
            "checkpoint": json.dumps(checkpoint, separators=(",", ":")) if checkpoint is not None else None,
        }
        integration, attempt = execution.integration, execution.attempt
        flow = RegistryRepository(self.config_table).get_flow(
            account_id, integration, bundle, execution.flow_name.rsplit(":", 1)[-1]
        )
        if flow is None:
            return self._finish(
                account_id,
                execution,
                ExecutionStatus.FAILED,
                "States.Runtime",
                f"the flow {execution.flow_name} is no longer in its bundle",
            )
        recorded = {} if fresh else self.activity.recorded_results(account_id, execution.id, attempt)
        executor = self.executor_factory(account_id, integration, flow.actions, recorded)

        def on_step(step: engine.StepRecord) -> None:
            if step.key in executor.called:  # kept with its result before the flow moves on
                self.activity.record_action(account_id, execution.id, attempt, step)

        result = engine.run_flow(
            flow.definition, data, executor, checkpoint=checkpoint, attempt=attempt, on_step=on_step
        )
        self.activity.record_steps(
            account_id,
            execution.id,
            attempt,
            [step for step in result.steps if step.key not in executor.called and step.key not in recorded],
        )
        outcome = result.outcome
        if isinstance(outcome, engine.Waiting):
            saved = json.dumps(outcome.checkpoint, separators=(",", ":"))
            kept = self._encoded(data)
            size = len(saved.encode()) + len(kept.encode())
            if size > MAX_CHECKPOINT_BYTES:
                # The flow data must fit in the execution record to be resumed.
                return self._finish(
                    account_id,
                    execution,
                    ExecutionStatus.FAILED,
                    "States.LimitExceeded",
                    f"the flow's data and input are {size} bytes at a Wait; at most "
                    f"{MAX_CHECKPOINT_BYTES} bytes can be kept while it waits",
                )
            self.activity.update_execution(
                account_id,
                execution.id,
                status=ExecutionStatus.WAITING,
                attempt=attempt,
                checkpoint=saved,
                flow_input=kept,
            )
            self._wake_later(account_id, execution.id, "continue", outcome.seconds, found)
            self._log(account_id, execution, "info", f"waiting {outcome.seconds} s")
            return Outcome(ExecutionStatus.WAITING)
        if isinstance(outcome, engine.RetryFlow):
            # run_flow answers Failed once the retry schedule gives up.
            delay = outcome.delay_seconds
            self.activity.update_execution(
                account_id,
                execution.id,
                status=ExecutionStatus.RETRYING,
                attempt=attempt,
                error=outcome.error,
                cause=outcome.cause,
                checkpoint=None,
                flow_input=self._encoded(data),
            )
            self._wake_later(account_id, execution.id, "retry", delay, found)
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

    def _wake_later(self, account_id: int, execution_id: str, kind: str, delay: float, found: dict[str, Any]) -> None:
        """Schedule the message that wakes the execution (now stored as waiting or
        retrying). If SQS refuses it, the execution is put back as this message found it
        before the message fails: its redelivery then runs it again (replaying recorded
        actions) and schedules the wake-up, where it would otherwise find the execution
        waiting, take it for done, and leave it waiting for a message that never comes."""
        try:
            self.queue.send_later({"kind": kind, "account_id": account_id, "execution_id": execution_id}, delay)
        except Exception:
            self.activity.update_execution(account_id, execution_id, **found)
            raise

    def _finish(
        self, account_id: int, execution: Execution, status: str, error: str | None, cause: str | None, text: str = ""
    ) -> Outcome:
        # What was kept to resume it goes: the record is the outcome now.
        self.activity.update_execution(
            account_id,
            execution.id,
            status=status,
            attempt=execution.attempt,
            ended_at=clock.now(),
            error=error,
            cause=cause,
            checkpoint=None,
            flow_input=None,
            event=None,
        )
        if status == ExecutionStatus.SUCCEEDED:
            self._log(account_id, execution, "info", text)  # the flow's Succeed Message, as ZIS logs it
        else:
            self._log(account_id, execution, "error", f"execution failed: {error}: {cause}")
        return Outcome(status, error)

    # ------------------------------------------------------------ the flow's input
    def _flow_input(self, account_id: int, integration: str, event: dict[str, Any]) -> dict[str, Any]:
        """What the flow gets, as in ZIS. An event from a Zendesk source names its Zendesk
        account, as ZIS's flows read it."""
        source = event.get("zendesk")
        zendesk: dict[str, Any] = source if isinstance(source, dict) else {}
        return {
            "account_id": zendesk.get("account_id", account_id),
            "integration_key": integration,
            "subdomain": zendesk["subdomain"] if "subdomain" in zendesk else self._subdomain(account_id),
            "input": event.get("body"),
        }

    def _kept_input(self, account_id: int, stored: StoredExecution) -> Any:
        """The flow's input as the execution record keeps it (earlier versions kept the event)."""
        if stored.flow_input is None and stored.event is not None:
            return self._flow_input(account_id, stored.execution.integration, stored.event)
        return stored.flow_input

    @staticmethod
    def _encoded(data: Any) -> str:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

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
