"""Router: consumes the routing queue (SQS, partial batch responses), where the bus's one
Hookyard rule puts every routed event, and sends each event to the flow queue (installed
job specs) and the delivery queue (subscribed webhooks, triggers whose conditions hold).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hookyard.config import RouterSettings, get_settings
from hookyard.dal.routes import RouteIndex
from hookyard.observability import emit_counts
from hookyard.queues import SqsQueue
from router.log import logger
from router.logic import BatchRoutes, Router


def _router() -> Router:
    settings = get_settings(RouterSettings)
    return Router(
        index=BatchRoutes(RouteIndex(settings.config_table)),
        flows=SqsQueue(settings.flow_queue_url),
        deliveries=SqsQueue(settings.delivery_queue_url),
        routing_queue=SqsQueue(settings.routing_queue_url),
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = []
    failures = []
    for record in event.get("Records") or []:
        try:
            records.append((record["messageId"], json.loads(record["body"])))
        except ValueError:
            # Not JSON: nothing Hookyard put here; dropping it beats five tries and the DLQ.
            logger.warning("routing message is not JSON; dropped", message_id=record.get("messageId"))
    routed = _router().route(records)
    failures = [{"itemIdentifier": record_id} for record_id in routed.failed]
    emit_counts("router", {"RoutedEvents": routed.events, "RoutedDestinations": routed.destinations})
    return {"batchItemFailures": failures}
