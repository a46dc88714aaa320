"""X-Ray tracing with the stack's Tracing=Active: a delivery's trace shows its handler,
its AWS calls and the request to the receiver (hookyard.tracing).

The delivery runs in a child process (tracing_case.py) that the X-Ray SDK takes for
Lambda; this process plays the X-Ray daemon, on a UDP port, and reads what it was sent."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "1-67891233-abcdef012345678912345678"


def received(daemon: socket.socket) -> list[dict[str, Any]]:
    """The segment documents sent to the daemon (each datagram: a header line, then one)."""
    daemon.setblocking(False)
    documents = []
    while True:
        try:
            datagram = daemon.recv(65536)
        except BlockingIOError:
            return documents
        header, _, document = datagram.decode().partition("\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        documents.append(json.loads(document))


def entities(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every segment and subsegment, nested ones included."""
    pending = list(documents)
    while pending:
        entity = pending.pop()
        yield entity
        pending.extend(entity.get("subsegments", []))


def test_a_delivery_traces_its_handler_its_aws_calls_and_the_request_it_sends(tmp_path: Path) -> None:
    # Given a daemon, and the delivery run in an environment the SDK takes for Lambda's
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        port = daemon.getsockname()[1]
        env = {
            **os.environ,
            "LAMBDA_TASK_ROOT": str(tmp_path),
            "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
        }

        # When
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:xdist",
                "tests/integration/tracing_case.py",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        documents = received(daemon)

    # Then every document belongs to the invocation's trace
    assert documents, "nothing was sent to the X-Ray daemon"
    assert {d["trace_id"] for d in documents} == {TRACE_ID}
    traced = list(entities(documents))
    # the handler, annotated as Powertools does
    [handler] = [
        e for e in traced if e["name"] == "## lambda_handler" and e["annotations"].get("Service") == "delivery"
    ]
    assert handler["annotations"]["ColdStart"] is True
    # the request to the receiver, with its status, and the URL without its query
    [call] = [e for e in traced if e.get("namespace") == "remote"]
    assert call["name"] == "127.0.0.1"
    assert call["http"]["request"]["method"] == "POST"
    assert call["http"]["request"]["url"].endswith("/hook")
    assert call["http"]["response"]["status"] == 200
    assert "s3cr3t-in-the-query" not in json.dumps(documents)
    # and the AWS calls
    aws_calls = {(e["name"], e["aws"]["operation"]) for e in traced if e.get("namespace") == "aws"}
    assert {("dynamodb", "BatchGetItem"), ("dynamodb", "PutItem"), ("kms", "Decrypt")} <= aws_calls
