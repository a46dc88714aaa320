"""Delivery: consumes the delivery queue (SQS, partial batch responses).

Records run concurrently, one thread each (a batch is at most 10), so a slow endpoint
does not hold up deliveries to the others; each record's failure is reported on its
own so SQS retries only that message.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from delivery.log import logger
from delivery.logic import Delivery, Result
from hookyard import messages
from hookyard.bus import EventBridgeBus
from hookyard.config import DeliverySettings, get_settings
from hookyard.crypto import KmsSealer
from hookyard.dal.invocations import InvocationsRepository
from hookyard.dal.recoveries import RecoveriesRepository
from hookyard.dal.throttle import InvocationThrottle
from hookyard.dal.triggers import TriggersRepository
from hookyard.dal.webhooks import WebhooksRepository
from hookyard.outbound import OutboundClient, parse_networks
from hookyard.queues import SqsQueue
from hookyard.webhooks.breaker import BreakerStore
from hookyard.webhooks.secrets import WebhookSecrets

MAX_WORKERS = 10


def _delivery() -> Delivery:
    settings = get_settings(DeliverySettings)
    return Delivery(
        webhooks=WebhooksRepository(settings.config_table),
        triggers=TriggersRepository(settings.config_table),
        invocations=InvocationsRepository(settings.activity_table, settings.retention_days),
        throttle=InvocationThrottle(settings.activity_table, settings.invocations_per_minute),
        breakers=BreakerStore(settings.activity_table),
        secrets=WebhookSecrets(KmsSealer()),
        client=OutboundClient(allow=parse_networks(settings.allow_cidrs)),
        queue=SqsQueue(settings.delivery_queue_url),
        bus=EventBridgeBus(settings.event_bus_name),
        recoveries=RecoveriesRepository(settings.activity_table, settings.retention_days),
    )


def process(delivery: Delivery, record: dict[str, Any]) -> Result:
    message = messages.parse_delivery_message(json.loads(record["body"]))
    if isinstance(message, messages.SubscriptionMessage):
        return delivery.subscription(message)
    if isinstance(message, messages.TriggerMessage):
        return delivery.trigger(message)
    if isinstance(message, messages.RecoverMessage):
        return delivery.recover(message)
    return delivery.attempt(message)


def emit_metrics(result: Result) -> None:
    """One EMF line per figure: a batch mixes statuses, which one dimension set cannot."""
    if result.status is None:
        return
    service = {"service": "delivery"}
    with single_metric(name="Deliveries", unit=MetricUnit.Count, value=1, default_dimensions=service) as metric:
        metric.add_dimension(name="status", value=result.status)
    counters = [
        ("DeliveryAttempts", result.attempted),
        ("DeliveryFailures", result.attempted and result.failed),
        ("BreakerOpened", result.breaker_opened),
    ]
    for name, happened in counters:
        if happened:
            with single_metric(name=name, unit=MetricUnit.Count, value=1, default_dimensions=service):
                pass


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") or []
    delivery = _delivery()
    failures = []
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, max(1, len(records)))) as pool:
        futures = [(record, pool.submit(process, delivery, record)) for record in records]
        for record, future in futures:
            try:
                emit_metrics(future.result())
            except Exception:
                # Not recorded: leave it to SQS (redelivered, then the DLQ).
                logger.exception("delivery record failed", message_id=record.get("messageId"))
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
