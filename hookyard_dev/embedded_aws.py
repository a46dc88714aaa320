"""The embedded AWS of the local stack: a moto server in this process, with the
template's tables, buses and queues created in it."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from hookyard_dev.template import REGION, Template

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "hookyard-dev", "AWS_SECRET_ACCESS_KEY": "hookyard-dev"}


def aws_environment(endpoint: str) -> dict[str, str]:
    """Environment that points every boto3 client at the embedded AWS."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, **FAKE_CREDENTIALS}


def embedded_client(endpoint: str, service: str) -> Any:
    """A boto3 client of the embedded AWS listening at `endpoint` (its fake credentials)."""
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


class EmbeddedAws:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.endpoint = ""

    def start(self) -> str:
        self._server.start()
        serialise_requests(self._server._server)  # type: ignore[attr-defined]
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        self._server.stop()

    def client(self, service: str) -> Any:
        return embedded_client(self.endpoint, service)


class Arrivals:
    """Something may have reached a queue: an SQS send, or an event the bus's rules hand
    to one. The queue pollers wait on it between short polls, so a message is picked up
    as soon as it is sent, as Lambda's long-polling event source mappings do, without a
    long poll holding the embedded AWS (which answers one request at a time)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0

    def mark(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    @property
    def count(self) -> int:
        return self._count

    def wait(self, seen: int, timeout: float) -> None:
        """Return once something arrived after `seen` (a `count` read before), or after `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._count != seen, timeout)


ARRIVALS = Arrivals()
_SENDS = ("AmazonSQS.SendMessage", "AmazonSQS.SendMessageBatch", "AWSEvents.PutEvents")


def serialise_requests(server: Any) -> None:
    """moto's backends are not thread-safe (a transaction deep-copies a table while
    another thread writes to it). AWS is, and our handlers call it from several threads
    (the delivery function sends a batch concurrently), so the embedded AWS answers one
    request at a time. The handlers' own work, outbound HTTP included, stays concurrent.
    Every send marks ARRIVALS, which wakes the queue pollers."""
    lock = threading.Lock()
    app = server.app

    def locked(environ: Any, start_response: Any) -> Any:
        with lock:
            answer = list(app(environ, start_response))
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(_SENDS):
            ARRIVALS.mark()
        return answer

    server.app = locked


def provision(template: Template, client: Any) -> None:
    """Create the template's tables, buses, queues, rules and KMS keys, and record what
    was created on the template, so !Ref to a queue or key resolves to it."""
    dynamodb = client("dynamodb")
    for spec in template.table_definitions():
        dynamodb.create_table(**spec)
    for table, attribute in template.ttl_attributes().items():
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )
    events = client("events")
    for bus in template.event_buses():
        events.create_event_bus(Name=bus)
    sqs = client("sqs")
    urls: dict[str, str] = {}
    queues = template.queues()
    # Dead-letter queues first, so redrive policies can name them.
    ordered = sorted(queues, key=lambda lid: "RedrivePolicy" in queues[lid])
    for logical_id in ordered:
        props = queues[logical_id]
        attributes = {
            k: (json.dumps(v) if isinstance(v, dict) else str(v))
            for k, v in props.items()
            if k
            in {
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "RedrivePolicy",
                "ReceiveMessageWaitTimeSeconds",
                "MaximumMessageSize",
            }
        }
        urls[logical_id] = sqs.create_queue(QueueName=template.physical_name(logical_id), Attributes=attributes)[
            "QueueUrl"
        ]
    template.queue_urls = urls
    for props in template.event_rules().values():
        # The template's rules, as CloudFormation would make them (queue ARNs resolve now
        # that the queues exist).
        events.put_rule(
            Name=props["Name"],
            EventBusName=props["EventBusName"],
            EventPattern=json.dumps(props["EventPattern"]),
            State=props.get("State", "ENABLED"),
            Description=props.get("Description", ""),
        )
        events.put_targets(Rule=props["Name"], EventBusName=props["EventBusName"], Targets=props["Targets"])
    kms = client("kms")
    for logical_id in template.kms_keys():
        template.physical_ids[logical_id] = kms.create_key(Description=logical_id)["KeyMetadata"]["KeyId"]
