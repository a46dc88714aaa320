"""End-to-end: start `hookyard dev` on a free port and talk to it over HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from hookyard_dev.embedded_aws import embedded_client
from tests.conftest import ROOT

READY = re.compile(r"hookyard dev ready on (?P<url>http://\S+) \(embedded AWS at (?P<aws>http://[^)]+)\)")


@dataclass
class Dev:
    url: str
    aws_endpoint: str
    token: str
    operator_token: str
    output: list[str]

    def client(self, service: str) -> Any:
        return embedded_client(self.aws_endpoint, service)

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def dev() -> Iterator[Dev]:
    token, operator_token = "hy_e2e_account_one", "op_e2e_operator"
    env = {**os.environ, "PORT": str(free_port()), "HOOKYARD_TOKEN": token, "HOOKYARD_OPERATOR_TOKEN": operator_token}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "hookyard_dev.cli", "dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert process.stdout is not None
    output: list[str] = []
    ready: re.Match[str] | None = None
    deadline = time.monotonic() + 90
    while ready is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        ready = READY.search(line)
    if ready is None:
        process.kill()
        pytest.fail("hookyard dev did not become ready:\n" + "".join(output))
    # Keep draining its output so the pipe never blocks the server.
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()  # type: ignore[arg-type]
    yield Dev(ready["url"], ready["aws"], token, operator_token, output)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def bus_tap(dev: Dev) -> str:
    """A test-only rule on the hookyard bus that copies every event to an SQS queue."""
    sqs, events = dev.client("sqs"), dev.client("events")
    url = sqs.create_queue(QueueName="e2e-bus-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="e2e-bus-tap", EventBusName="hookyard", EventPattern=json.dumps({"account": [{"exists": True}]})
    )
    events.put_targets(Rule="e2e-bus-tap", EventBusName="hookyard", Targets=[{"Id": "tap", "Arn": arn}])
    return str(url)


def drain(dev: Dev, queue_url: str, wait_seconds: int = 1) -> list[dict[str, Any]]:
    sqs = dev.client("sqs")
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds)
        batch = messages.get("Messages", [])
        if not batch:
            return found
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        wait_seconds = 0
