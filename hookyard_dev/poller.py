"""Lambda's SQS event source mapping, for `hookyard dev`: long-poll a queue, hand the
function a batch in Lambda's SQS event shape, and delete what it processed.

As on AWS: with `ReportBatchItemFailures` only the listed messages stay on the queue;
a function error leaves the whole batch to reappear after the visibility timeout; the
queue's redrive policy (enforced by the embedded SQS) moves a message to its DLQ after
maxReceiveCount receives.

Batches run concurrently, as Lambda's pollers do: up to the mapping's
`ScalingConfig.MaximumConcurrency` (else `DEFAULT_MAX_CONCURRENCY`, Lambda's initial
five pollers) batches at once, each on its own thread, so one slow endpoint does not
hold up the next batch. A function that is not safe to run several events at once
(`FunctionRuntime.concurrent` is false) gets one batch at a time.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from hookyard_dev.embedded_aws import ARRIVALS
from hookyard_dev.runtime import FunctionRuntime
from hookyard_dev.template import REGION, SqsMapping

log = logging.getLogger("hookyard.dev")
IDLE_PAUSE_SECONDS = 0.2
DEFAULT_MAX_CONCURRENCY = 5


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attributes.get("SentTimestamp", "0"),
                    "SenderId": attributes.get("SenderId", "hookyard-dev"),
                    "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "0"),
                },
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


class QueuePoller:
    """One event source mapping: a thread that polls `queue_url` for `runtime` and hands
    each batch to a thread of its own, at most `max_concurrency` at once."""

    def __init__(self, sqs: Any, mapping: SqsMapping, queue_url: str, queue_arn: str, runtime: FunctionRuntime) -> None:
        self.sqs = sqs
        self.mapping = mapping
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.runtime = runtime
        self.max_concurrency = (mapping.max_concurrency or DEFAULT_MAX_CONCURRENCY) if runtime.concurrent else 1
        # A slot is taken before receiving: messages are never taken off the queue (and
        # their visibility timeout started) for a batch that would only wait its turn.
        self._slots = threading.BoundedSemaphore(self.max_concurrency)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"poll-{mapping.queue_id}", daemon=True)
        self._batches = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        # Short polls with a pause between empty ones: a long poll would hold the embedded
        # AWS (which answers one request at a time) for its whole wait.
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=IDLE_PAUSE_SECONDS):
                continue
            seen = ARRIVALS.count
            try:
                messages = self.receive(wait_seconds=0)
            except Exception:
                self._slots.release()
                log.exception("polling %s failed", self.mapping.queue_id)
                self._stop.wait(1)
                continue
            if not messages:
                self._slots.release()
                # Until something is sent (or the pause is over: a delayed message comes due).
                ARRIVALS.wait(seen, IDLE_PAUSE_SECONDS)
                continue
            self._batches += 1
            name = f"{self.mapping.function_id}-batch-{self._batches}"
            threading.Thread(target=self._run_batch, args=(messages,), name=name, daemon=True).start()

    def _run_batch(self, messages: list[dict[str, Any]]) -> None:
        try:
            self.handle(messages)
        except Exception:
            log.exception("%s: a batch of %d could not be settled", self.mapping.function_id, len(messages))
        finally:
            self._slots.release()

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and run the function on it in this thread; returns the batch size."""
        messages = self.receive(wait_seconds)
        if messages:
            self.handle(messages)
        return len(messages)

    def receive(self, wait_seconds: int = 0) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.mapping.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(received.get("Messages", []))

    def handle(self, messages: list[dict[str, Any]]) -> None:
        """Invoke the function on a received batch and delete what it processed."""
        try:
            result = self.runtime.invoke(sqs_event(messages, self.queue_arn))
        except Exception:
            # As Lambda: the batch stays; each message reappears after its visibility timeout.
            log.exception("%s failed on a batch of %d", self.mapping.function_id, len(messages))
            return
        failed: set[str] = set()
        if self.mapping.report_failures and isinstance(result, dict):
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
