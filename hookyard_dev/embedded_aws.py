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
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


def serialise_requests(server: Any) -> None:
    """moto's backends are not thread-safe (a transaction deep-copies a table while
    another thread writes to it). AWS is, and our handlers call it from several threads
    (the delivery function sends a batch concurrently), so the embedded AWS answers one
    request at a time. The handlers' own work, outbound HTTP included, stays concurrent."""
    lock = threading.Lock()
    app = server.app

    def locked(environ: Any, start_response: Any) -> Any:
        with lock:
            return list(app(environ, start_response))

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
