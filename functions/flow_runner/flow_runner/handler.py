"""Flow runner: consumes the flow queue (SQS, partial batch responses).

Each message starts, resumes (after a Wait) or retries an execution of an installed
job spec's flow. A message is acknowledged only after its outcome is recorded; an error
the runner cannot record leaves the message to be redelivered (then to the DLQ).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from flow_runner.executor import ActionExecutor
from flow_runner.log import logger
from flow_runner.runner import Runner
from hookyard import messages
from hookyard.config import FlowRunnerSettings, get_settings
from hookyard.dal.activity import ActivityRepository
from hookyard.dal.configs import ConfigsRepository
from hookyard.dal.connections import ConnectionsRepository
from hookyard.outbound import shared_client
from hookyard.queues import SqsQueue
from hookyard.tracing import traced


def _runner() -> Runner:
    settings = get_settings(FlowRunnerSettings)
    activity = ActivityRepository(settings.activity_table, settings.retention_days)
    client = shared_client(settings.allow_cidrs)

    def executor(
        account_id: int, integration: str, actions: dict[str, Any], recorded: dict[str, Any]
    ) -> ActionExecutor:
        return ActionExecutor(
            account_id=account_id,
            integration=integration,
            actions=actions,
            recorded=recorded,
            connections=ConnectionsRepository(settings.config_table),
            configs=ConfigsRepository(settings.config_table),
            client=client,
        )

    return Runner(settings.config_table, activity, SqsQueue(settings.flow_queue_url), executor)


def record_handler(record: SQSRecord) -> None:
    message = messages.parse_flow_message(json.loads(record.body))
    outcome = _runner().handle(message)
    if outcome is not None:
        # One EMF line per outcome: a batch mixes statuses, which one dimension set cannot.
        with single_metric(
            name="FlowExecutions", unit=MetricUnit.Count, value=1, default_dimensions={"service": "flow_runner"}
        ) as metric:
            metric.add_dimension(name="status", value=outcome.status)
        logger.info("flow message processed", kind=message.kind, status=outcome.status, error=outcome.error)


@traced("flow_runner")
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A processor per invocation: it keeps the batch's records and failures on itself,
    # so one shared by two invocations at once (hookyard dev runs batches concurrently)
    # would report the other batch's failures.
    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
