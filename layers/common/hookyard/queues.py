"""SQS sends, in one place: a message, a batch, and a message for later.

Every function that puts work on a queue (the router fanning out, delivery scheduling a
retry, the flow runner resuming after a Wait) goes through `SqsQueue`; logic takes the
`Queue` protocol, so tests give it an in-memory fake instead of patching anything.

Later: SQS delays a message by at most 15 minutes. A message for later carries
`not_before` (epoch seconds); its consumer asks `due_in(body)` and, while time is left,
sends it on with `send_later` again (a hop), so any wait works and none sleeps.

Batches: SendMessageBatch takes at most 10 entries and 256 KiB in all; `send_batch`
splits on both, and sends again the entries SQS reports as failed for a reason of its
own (not the sender's), before giving up with QueueError naming how many failed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from hookyard import aws

MAX_DELAY_SECONDS = 900
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
BATCH_TRIES = 3

Body = Mapping[str, Any]


class QueueError(Exception):
    """Messages SQS did not take; the caller leaves its own input to be redelivered."""


class Queue(Protocol):
    def send(self, body: Body, delay: float = 0) -> None:
        """Put one message on the queue, visible after `delay` seconds (at most 15 min)."""
        ...

    def send_later(self, body: Body, delay: float) -> None:
        """Put `body` on the queue to be handled `delay` seconds from now (any wait: the
        consumer hops it on while `due_in` says time is left)."""
        ...

    def send_batch(self, bodies: Sequence[Body]) -> None:
        """Put every body on the queue (as few requests as SQS's limits allow); raises
        QueueError if some could not be sent."""
        ...

    def send_batch_later(self, items: Sequence[tuple[Body, float]]) -> None:
        """`send_later` for many (body, delay) pairs, batched as `send_batch`."""
        ...


def encode(body: Body) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def sqs_delay(seconds: float) -> int:
    """Whole seconds SQS can delay a message by: rounded up, within [0, 900]."""
    if math.isnan(seconds) or seconds <= 0:
        return 0
    return min(MAX_DELAY_SECONDS, math.ceil(seconds))


def later(body: Body, delay: float, now: float | None = None) -> dict[str, Any]:
    """`body` marked to be handled `delay` seconds from `now`."""
    return {**body, "not_before": (time.time() if now is None else now) + max(0.0, delay)}


def due_in(body: Body, now: float | None = None) -> float:
    """Seconds until `body` may be handled (0 when it may be now)."""
    not_before = body.get("not_before") or 0
    if not isinstance(not_before, int | float):
        return 0.0
    return max(0.0, float(not_before) - (time.time() if now is None else now))


class SqsQueue:
    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, body: Body, delay: float = 0) -> None:
        aws.sqs().send_message(QueueUrl=self.url, MessageBody=encode(body), DelaySeconds=sqs_delay(delay))

    def send_later(self, body: Body, delay: float) -> None:
        self.send(later(body, delay), delay)

    def send_batch(self, bodies: Sequence[Body]) -> None:
        for chunk in _chunks([(encode(b), 0) for b in bodies]):
            self._send_chunk(chunk)

    def send_batch_later(self, items: Sequence[tuple[Body, float]]) -> None:
        for chunk in _chunks([(encode(later(body, delay)), sqs_delay(delay)) for body, delay in items]):
            self._send_chunk(chunk)

    def _send_chunk(self, entries: list[tuple[str, int]]) -> None:
        pending = {str(i): entry for i, entry in enumerate(entries)}
        for _ in range(BATCH_TRIES):
            out = aws.sqs().send_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": i, "MessageBody": t, "DelaySeconds": d} for i, (t, d) in pending.items()],
            )
            failed = out.get("Failed") or []
            if not failed:
                return
            if any(f.get("SenderFault") for f in failed):
                reasons = sorted({str(f.get("Code")) for f in failed if f.get("SenderFault")})
                raise QueueError(f"SQS refused {len(failed)} message(s): {', '.join(reasons)}")
            pending = {f["Id"]: pending[f["Id"]] for f in failed}
        raise QueueError(f"SQS did not take {len(pending)} message(s) after {BATCH_TRIES} tries")


def _chunks(entries: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Groups of at most MAX_BATCH_ENTRIES messages and MAX_BATCH_BYTES bytes."""
    chunks: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    size = 0
    for text, delay in entries:
        length = len(text.encode())
        if current and (len(current) == MAX_BATCH_ENTRIES or size + length > MAX_BATCH_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append((text, delay))
        size += length
    if current:
        chunks.append(current)
    return chunks
