"""Delivery: consumes the delivery queue (SQS, partial batch responses).

A batch is handled together (delivery.logic.Delivery.run): the sends run concurrently, so
a slow endpoint does not hold up deliveries to the others, and what the messages share
(webhook reads, the throttle, the breakers, scheduling) costs one request per batch. Each
record's failure is reported on its own so SQS retries only that message.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

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
from hookyard.observability import emit_counts
from hookyard.outbound import shared_client
from hookyard.queues import SqsQueue
from hookyard.tracing import traced
from hookyard.webhooks.breaker import BreakerStore
from hookyard.webhooks.secrets import WebhookSecrets


def _delivery() -> Delivery:
    settings = get_settings(DeliverySettings)
    return Delivery(
        webhooks=WebhooksRepository(settings.config_table),
        triggers=TriggersRepository(settings.config_table),
        invocations=InvocationsRepository(settings.activity_table, settings.retention_days),
        throttle=InvocationThrottle(settings.activity_table, settings.invocations_per_minute),
        breakers=BreakerStore(settings.activity_table),
        secrets=WebhookSecrets(KmsSealer()),
        client=shared_client(settings.allow_cidrs),
        queue=SqsQueue(settings.delivery_queue_url),
        bus=EventBridgeBus(settings.event_bus_name),
        recoveries=RecoveriesRepository(settings.activity_table, settings.retention_days),
    )


def emit_metrics(results: list[Result]) -> None:
    """The batch's figures in one EMF line per status and one for the counters (a line
    per message and figure would cost more CloudWatch Logs than the deliveries)."""
    by_status = Counter(r.status for r in results if r.status is not None)
    for status, count in sorted(by_status.items()):
        emit_counts("delivery", {"Deliveries": count}, {"status": status})
    emit_counts(
        "delivery",
        {
            "DeliveryAttempts": sum(r.attempted for r in results),
            "DeliveryFailures": sum(r.attempted and r.failed for r in results),
            "BreakerOpened": sum(r.breaker_opened for r in results),
        },
    )


@traced("delivery")
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    items = []
    failures = []
    for record in event.get("Records") or []:
        try:
            message = messages.parse_delivery_message(json.loads(record["body"]))
        except ValueError:  # not a message Hookyard sent: five tries and the DLQ keep it for a look
            logger.exception("delivery message unreadable", message_id=record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
        items.append((record["messageId"], message, receives))
    outcomes = _delivery().run(items)
    results = []
    for message_id, outcome in outcomes.items():
        if isinstance(outcome, Exception):
            # Not recorded: leave it to SQS (redelivered, then the DLQ).
            failures.append({"itemIdentifier": message_id})
        else:
            results.append(outcome)
    emit_metrics(results)
    return {"batchItemFailures": failures}
