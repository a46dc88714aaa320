"""Integration tests: the real handlers on moto, with tables, bus and environment
taken from template.yaml, so tests and deploy cannot drift."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from hookyard import aws, crypto
from hookyard.config import get_settings
from hookyard_dev.embedded_aws import provision
from hookyard_dev.runtime import LambdaContext, function_environment
from hookyard_dev.stack import operator_parameters
from hookyard_dev.template import REGION, Template
from tests.conftest import OPERATOR_TOKEN, ROOT, load_event
from tests.e2e.receiver import Receiver, running_receiver

SAMPLE_TOKEN = "OPwn17vlTjI_c8_IfmRBAcAyx_X4Hx2r5Iy95Pje64-s"
SAMPLE_USER = "SkkCyESWf8ASuzKW"
SAMPLE_PASSWORD = "sample-password-not-a-secret"  # what events/ingest/*.json send


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Template]:
    """moto with the template's tables, bus, queues and keys, created by the same code as
    `hookyard dev`, and the functions' environment."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    template = Template.load(ROOT / "template.yaml", parameters=operator_parameters(OPERATOR_TOKEN))
    # moto's backends are not thread-safe; AWS is. Handlers that call AWS from several
    # threads (the delivery function) get one moto call at a time, as hookyard dev does.
    lock = threading.RLock()
    call = BotocoreStubber.__call__
    monkeypatch.setattr(BotocoreStubber, "__call__", lambda self, *a, **k: _locked(lock, call, self, *a, **k))
    with mock_aws():
        provision(template, lambda service: boto3.client(service, region_name=REGION))
        for name, value in function_environment(template).items():
            monkeypatch.setenv(name, value)
        aws.reset_clients()
        get_settings.cache_clear()
        crypto.forget_opened()
        yield template
    aws.reset_clients()
    get_settings.cache_clear()
    crypto.forget_opened()


@pytest.fixture
def loopback_env(aws_env: Template, monkeypatch: pytest.MonkeyPatch) -> Template:
    """The stack, allowed to call a receiver on loopback (as the local stack is)."""
    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    return aws_env


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A scriptable HTTP receiver on loopback (tests/e2e/receiver.py)."""
    with running_receiver() as running:
        yield running


def _locked(lock: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
    with lock:
        return call(*args, **kwargs)


def invoke(handler: Any, event: dict[str, Any], name: str = "test") -> dict[str, Any]:
    result: dict[str, Any] = handler(event, LambdaContext(name, 512, 10))
    return result


def with_path(event: dict[str, Any], **params: str) -> dict[str, Any]:
    """Point an events/ file at other path parameters, as API Gateway would set them."""
    event["pathParameters"] = {**(event.get("pathParameters") or {}), **params}
    event["path"] = event["resource"].format(**event["pathParameters"])
    event["requestContext"]["path"] = f"/{event['requestContext']['stage']}{event['path']}"
    return event


def with_query(event: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    """Replace the query string (both forms, as API Gateway sends them)."""
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    return event


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def bus_queue(aws_env: Template) -> str:
    """An SQS queue that receives every event on the hookyard bus (a test-only rule)."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION)
    bus = os.environ["EVENT_BUS_NAME"]
    events.put_rule(Name="bus-tap", EventBusName=bus, EventPattern=json.dumps({"account": [{"exists": True}]}))
    events.put_targets(Rule="bus-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    return url


def drain(queue_env: str, handler: Any, batch_size: int = 10, rounds: int = 20) -> list[dict[str, Any]]:
    """Run `handler` on what the queue named by env `queue_env` holds, as Lambda's event
    source mapping would (a batch at a time, partial batch failures left on the queue,
    the rest deleted), until it is empty or `rounds` batches ran. Returns the answers."""
    from hookyard_dev.poller import sqs_event

    sqs = boto3.client("sqs", region_name=REGION)
    url = os.environ[queue_env]
    answers = []
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch_size, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            break
        answer = invoke(handler, sqs_event(messages, f"arn:aws:sqs:{REGION}:123456789012:{queue_env}"))
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            )
        answers.append(answer)
    return answers


def route_queued() -> list[dict[str, Any]]:
    """The router on what the routing queue holds (where the bus's rule puts every event)."""
    from router.handler import lambda_handler as router

    answers = drain("ROUTING_QUEUE_URL", router)
    assert all(not a["batchItemFailures"] for a in answers), answers
    return answers


def routes_of(sk: str) -> list[dict[str, Any]]:
    """The subscription index's route items of one destination (`W#<webhook id>`,
    `T#<trigger id>`, `J#<integration>#<job spec>`), as stored."""
    from hookyard.dynamo import from_item

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=os.environ["CONFIG_TABLE_NAME"],
        FilterExpression="begins_with(PK, :route) AND SK = :sk",
        ExpressionAttributeValues={":route": {"S": "ROUTE#"}, ":sk": {"S": sk}},
    )
    return sorted((from_item(i) for page in pages for i in page["Items"]), key=lambda i: i["PK"])


def put_bus_event(source: str, detail_type: str, detail: dict[str, Any]) -> None:
    """Put an event on the hookyard bus, as ingest (or a user's own producer) would."""
    events = boto3.client("events", region_name=REGION)
    out = events.put_events(
        Entries=[
            {"EventBusName": os.environ["EVENT_BUS_NAME"], "Source": source, "DetailType": detail_type,
             "Detail": json.dumps(detail)}
        ]
    )  # fmt: skip
    assert out["FailedEntryCount"] == 0, out


def queued(queue_env: str) -> list[dict[str, Any]]:
    """The bodies of the messages a queue holds now, read from moto's own store (moto's
    ReceiveMessage scans the whole queue per call: draining 1,000 messages takes a minute)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    name = os.environ[queue_env].rsplit("/", 1)[1]
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[name]
    return [json.loads(m.body) for m in queue._messages]


def bus_events(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


__all__ = [
    "basic",
    "body",
    "bus_events",
    "drain",
    "invoke",
    "load_event",
    "put_bus_event",
    "queued",
    "route_queued",
    "routes_of",
    "with_path",
    "with_query",
]
