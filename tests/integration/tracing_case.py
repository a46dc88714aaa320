"""Run by tests/integration/test_tracing.py in a process of its own (X-Ray's SDK patches
botocore for the whole process): one event delivered by the real handlers on moto, with
the stack's Tracing=Active, in an environment that looks like Lambda's to the SDK (set by
the parent: LAMBDA_TASK_ROOT, _X_AMZN_TRACE_ID, AWS_XRAY_DAEMON_ADDRESS)."""

from __future__ import annotations

import pytest

from hookyard.config import get_settings
from tests.e2e.receiver import Receiver
from tests.integration.test_delivery import create_webhook, deliver_queued, ingest

pytestmark = pytest.mark.usefixtures("loopback_env")


def test_a_traced_delivery(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKYARD_TRACING", "Active")
    get_settings.cache_clear()
    create_webhook(receiver.url + "/hook?token=s3cr3t-in-the-query")

    ingest({"ticket": {"id": 42, "status": "open"}})
    deliver_queued()

    receiver.wait_for(1, "/hook")
