"""The webhooks API over HTTP on the local stack, asked as real Zendesk clients ask it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Dev
from tests.e2e.receiver import Answer, Receiver, running_receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_node_zendesks_test_request_with_a_doubled_slash_is_answered_in_zendesks_shape(
    dev: Dev, receiver: Receiver
) -> None:
    receiver.answer("/status/200", Answer(status=202, body="accepted"))

    # node-zendesk 6.0.1's webhooks.test(request) joins its base URL and "/webhooks/test".
    response = dev.api(
        "POST",
        "/api/v2//webhooks/test",
        dev.token,
        json={"request": {"endpoint": f"{receiver.url}/status/200", "payload": '{"a": "b"}'}},
    )

    assert response.status_code == 200, response.text
    answer = response.json()["response"]
    assert answer["status"] == 202
    assert answer["payload"] == "accepted"
    (sent,) = receiver.wait_for(1, "/status/200")
    assert sent.body == b'{"a": "b"}'
