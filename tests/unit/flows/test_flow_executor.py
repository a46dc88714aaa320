"""The flow runner's ActionExecutor reading a failed HTTP action's Retry-After, with a
fake outbound client (no network, no tables: a custom action with a url needs neither)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from flow_runner.executor import ActionExecutor
from hookyard.flows.engine import ActionError, RetryFlow, run_flow
from hookyard.outbound import OutboundClient, OutboundResponse
from tests.unit.flows.fakes import FakeClock, fixed_now, flow_input, machine

NOW = datetime(2026, 10, 21, 7, 27, 40, tzinfo=UTC)  # 20 s before 07:28:00
ACTIONS = {"post": {"method": "POST", "url": "https://api.example/items"}}


class AnsweringClient:
    """An OutboundClient stand-in that answers every request with one status and headers."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.response = OutboundResponse(status, headers, b"", False, 1)
        self.requests: list[tuple[str, str]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> OutboundResponse:
        self.requests.append((method, url))
        return self.response


def executor(client: AnsweringClient) -> ActionExecutor:
    unused: Any = None  # connections, configs: not reached by a url action
    return ActionExecutor(
        account_id=1,
        integration="my_integration",
        actions=ACTIONS,
        recorded={},
        connections=unused,
        configs=unused,
        client=cast(OutboundClient, client),
        now=lambda: NOW,
    )


@pytest.mark.parametrize(
    "retry_after",
    ["Wed, 21 Oct 2026 07:28:00", "Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 09:28:00 +0200", "20"],
)
def test_a_429_with_a_retry_after_with_or_without_a_zone_is_an_action_error_carrying_it(retry_after: str) -> None:
    # Given an endpoint answering 429 with a Retry-After 20 s away (a date without a zone
    # used to raise TypeError here, failing the message to the DLQ and re-sending the call)
    client = AnsweringClient(429, {"retry-after": retry_after})

    # When the flow calls the action
    with pytest.raises(ActionError) as caught:
        executor(client).call("1:Post", "zis:my_integration:action:post", {})

    # Then it is the action's failure, with the wait the endpoint asked for
    assert caught.value.status == 429
    assert caught.value.retry_after == 20.0
    assert caught.value.cause == "external action failed due to status code: 429"
    assert client.requests == [("POST", "https://api.example/items")]


@pytest.mark.parametrize("retry_after", ["soon", "-5", "1.5", "²", ""])
def test_an_unreadable_retry_after_is_as_if_there_were_none(retry_after: str) -> None:
    client = AnsweringClient(503, {"retry-after": retry_after})

    with pytest.raises(ActionError) as caught:
        executor(client).call("1:Post", "zis:my_integration:action:post", {})

    assert caught.value.status == 503
    assert caught.value.retry_after is None


def test_the_flow_is_retried_after_a_zoneless_retry_after_date_not_crashed() -> None:
    # Given a flow whose only action answers 429 with a zoneless Retry-After date
    client = AnsweringClient(429, {"retry-after": "Wed, 21 Oct 2026 07:28:00"})
    definition = machine(("Post", {"Type": "Action", "ActionName": "zis:my_integration:action:post", "End": True}))

    # When the engine runs it with the runner's executor
    result = run_flow(definition, flow_input({}), executor(client), clock=FakeClock(), now=fixed_now)

    # Then ZIS's whole-flow retry is asked for, after the 20 s the endpoint asked for, and the call was made once
    assert result.outcome == RetryFlow(
        20.0, "States.Runtime", "external action failed due to status code: 429", 429, 20.0
    )
    assert len(client.requests) == 1


def test_a_response_nested_too_deep_fails_the_action_with_a_clear_cause() -> None:
    # Given an endpoint answering 200 with JSON nested far deeper than the 64 levels allowed,
    # within the 64 KB read of a response (json.loads raised RecursionError here, failing
    # the message to the DLQ)
    client = AnsweringClient(200, {"content-type": "application/json"})
    client.response = OutboundResponse(200, {}, b"[" * 32_000 + b"]" * 32_000, False, 1)

    # When the flow calls the action
    with pytest.raises(ActionError) as caught:
        executor(client).call("1:Post", "zis:my_integration:action:post", {})

    # Then the action failed, saying why, and a Catch can handle it like any failed action
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == (
        "the action's response nests arrays and objects more than 64 levels deep; the limit is 64 levels"
    )
    assert caught.value.status is None


def test_a_response_nested_within_the_limit_is_the_result() -> None:
    client = AnsweringClient(200, {})
    client.response = OutboundResponse(200, {}, b'{"a": ' * 60 + b"1" + b"}" * 60, False, 1)

    result = executor(client).call("1:Post", "zis:my_integration:action:post", {})

    depth = 0
    while isinstance(result, dict):
        result, depth = result["a"], depth + 1
    assert (depth, result) == (60, 1)
