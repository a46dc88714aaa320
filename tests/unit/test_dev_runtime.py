"""hookyard_dev.runtime: Lambda's one-event-per-instance guarantee, on the local stack."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from hookyard_dev.poller import sqs_event
from hookyard_dev.runtime import FunctionRuntime, LambdaContext, runs_events_concurrently
from hookyard_dev.template import ApiRoute, FunctionSpec, SqsMapping, Template

# How long to give an event that must NOT happen the chance to happen. Not an assertion
# on speed: the code under test passes however slow the machine is.
MUST_NOT_HAPPEN_SECONDS = 0.5
# A bound on waiting for something that must happen, so a regression fails instead of hanging.
MUST_HAPPEN_SECONDS = 10


def api_spec(logical_id: str = "SomeApiFunction") -> FunctionSpec:
    route = ApiRoute(logical_id, "GET", "/api/things", None)
    return FunctionSpec(logical_id, "functions/x/", "x.handler.lambda_handler", {}, 29, 256, routes=(route,))


def sqs_spec(
    logical_id: str = "SomeQueueFunction", max_concurrency: int | None = None, batch_size: int = 1
) -> FunctionSpec:
    mapping = SqsMapping(logical_id, "SomeQueue", batch_size, True, max_concurrency)
    return FunctionSpec(logical_id, "functions/y/", "y.handler.lambda_handler", {}, 60, 256, sqs=(mapping,))


class Instances:
    """A fake handler that records which events are in it at once and holds each until released."""

    def __init__(self) -> None:
        self.inside: set[str] = set()
        self.most_at_once = 0
        self.release = threading.Event()
        self._changed = threading.Condition()

    def handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        name = event.get("name") or event["Records"][0]["body"]
        with self._changed:
            self.inside.add(name)
            self.most_at_once = max(self.most_at_once, len(self.inside))
            self._changed.notify_all()
        self.release.wait(MUST_HAPPEN_SECONDS)
        with self._changed:
            self.inside.discard(name)
            self._changed.notify_all()
        return {"statusCode": 200, "body": name, "batchItemFailures": []}

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(condition, timeout)


def invoke_in_background(runtime: FunctionRuntime, name: str) -> threading.Thread:
    thread = threading.Thread(target=runtime.invoke, args=({"name": name},), daemon=True)
    thread.start()
    return thread


# ------------------------------------------------------------------ runtime


def test_only_the_queue_functions_of_the_template_run_events_concurrently(template: Template) -> None:
    # When
    concurrent = {fid for fid, spec in template.functions.items() if runs_events_concurrently(spec)}

    # Then the API functions and the authorizer each take one event at a time
    assert concurrent == {"DeliveryFunction", "FlowRunnerFunction"}


def test_an_api_function_handles_one_request_at_a_time() -> None:
    # Given an API function busy with one request
    instances = Instances()
    runtime = FunctionRuntime(api_spec(), handler=instances.handler)
    first = invoke_in_background(runtime, "first")
    assert instances.wait_until(lambda: "first" in instances.inside, MUST_HAPPEN_SECONDS)

    # When a second request comes in
    second = invoke_in_background(runtime, "second")

    # Then it waits until the first has been answered
    assert not instances.wait_until(lambda: "second" in instances.inside, MUST_NOT_HAPPEN_SECONDS)
    instances.release.set()
    first.join()
    second.join()
    assert instances.most_at_once == 1


def test_a_request_to_one_function_never_waits_for_another_function() -> None:
    # Given function A busy with a request
    busy, other = Instances(), Instances()
    other.release.set()
    a = FunctionRuntime(api_spec("AFunction"), handler=busy.handler)
    b = FunctionRuntime(api_spec("BFunction"), handler=other.handler)
    invoke_in_background(a, "to A")
    assert busy.wait_until(lambda: bool(busy.inside), MUST_HAPPEN_SECONDS)

    # When function B is called
    answer = b.invoke({"name": "to B"})

    # Then B answers while A is still busy
    assert answer["body"] == "to B"
    assert busy.inside == {"to A"}
    busy.release.set()


def test_a_queue_function_handles_several_batches_at_once() -> None:
    # Given a function triggered by SQS only
    instances = Instances()
    runtime = FunctionRuntime(sqs_spec(), handler=instances.handler)

    # When two batches arrive together
    invoke_in_background(runtime, "first")
    invoke_in_background(runtime, "second")

    # Then both are handled at once
    assert instances.wait_until(lambda: instances.inside == {"first", "second"}, MUST_HAPPEN_SECONDS)
    instances.release.set()


# ------------------------------------------------------------------ the queue handlers run concurrently


def test_flow_runner_batches_handled_at_once_each_report_only_their_own_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given two batches whose messages fail, each only once the other batch has started
    from flow_runner import handler, messages

    both_started = threading.Barrier(2, timeout=MUST_HAPPEN_SECONDS)

    def parse_once_both_started(body: Any) -> Any:
        both_started.wait()
        raise ValueError("not a flow message")

    monkeypatch.setattr(messages, "parse", parse_once_both_started)

    def failed_messages(message_id: str) -> set[str]:
        message = {"MessageId": message_id, "ReceiptHandle": message_id, "Body": "{}"}
        event = sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:flows")
        try:
            result = handler.lambda_handler(event, LambdaContext("FlowRunnerFunction", 256, 60))
        except BatchProcessingError:
            return {message_id}  # the whole batch failed: its one message
        return {failure["itemIdentifier"] for failure in result["batchItemFailures"]}

    # When both are handled at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(failed_messages, ["first", "second"])

    # Then each batch reports its own message, and only that
    assert (first, second) == ({"first"}, {"second"})
