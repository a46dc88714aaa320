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


def bus_events(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


__all__ = ["basic", "body", "bus_events", "invoke", "load_event", "with_path", "with_query"]
