"""AWS clients, created on first use and reused for the life of the container.

Nothing here runs at import time, so tests can start moto first and cold starts
only pay for the clients a request really needs.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sqs import SQSClient

# Short timeouts and few retries: a Lambda behind API Gateway has 29 s at most, and a
# caller that gets a fast 503 can retry sooner than one that waits for us to.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
)


_lock = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    # One session for every client: the second client from a session costs a fifth of
    # the first (its credential and endpoint data are loaded once).
    return boto3.session.Session()


@cache
def _client(name: str) -> Any:
    with _lock:  # sessions are not safe to create clients from concurrently
        return _session().client(name, config=_CONFIG)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def events() -> EventBridgeClient:
    return _client("events")  # type: ignore[no-any-return]


def kms() -> KMSClient:
    return _client("kms")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return _client("sqs")  # type: ignore[no-any-return]


def reset_clients() -> None:
    """Forget cached clients (tests start a new moto between cases)."""
    _client.cache_clear()
    _session.cache_clear()
