"""hookyard_dev.runtime and hookyard_dev.poller: Lambda's one-event-per-instance guarantee
and its concurrent SQS batches, on the local stack."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from hookyard_dev.embedded_aws import EmbeddedAws
from hookyard_dev.poller import DEFAULT_MAX_CONCURRENCY, QueuePoller, sqs_event
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
    assert concurrent == {"DeliveryFunction", "FlowRunnerFunction", "RouterFunction"}


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


# ------------------------------------------------------------------ poller


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    embedded = EmbeddedAws()
    embedded.start()
    yield embedded
    embedded.stop()


class Queue:
    def __init__(self, aws: EmbeddedAws, name: str, max_receive_count: int = 2, visibility: int = 0) -> None:
        self.sqs = aws.client("sqs")
        dlq = self.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        self.dlq_url = dlq
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.url = self.sqs.create_queue(
            QueueName=name,
            Attributes={
                # 0 (the default here): a message left on the queue is received again at once.
                "VisibilityTimeout": str(visibility),
                "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receive_count}"}}',
            },
        )["QueueUrl"]
        self.arn = f"arn:aws:sqs:us-east-1:123456789012:{name}"

    def send(self, *bodies: str) -> None:
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=body)

    def bodies(self, url: str | None = None) -> list[str]:
        received = self.sqs.receive_message(QueueUrl=url or self.url, MaxNumberOfMessages=10)
        return sorted(m["Body"] for m in received.get("Messages", []))

    def poller(self, spec: FunctionSpec, handler: Callable[[dict[str, Any], Any], Any]) -> QueuePoller:
        runtime = FunctionRuntime(spec, handler=handler)
        return QueuePoller(self.sqs, spec.sqs[0], self.url, self.arn, runtime)


def test_batches_of_one_mapping_run_at_once_up_to_its_maximum_concurrency(aws: EmbeddedAws) -> None:
    # Given a mapping of batch size 1 and MaximumConcurrency 2, and three messages
    queue, instances = Queue(aws, "at-once", visibility=60), Instances()
    queue.send("one", "two", "three")
    poller = queue.poller(sqs_spec(max_concurrency=2), instances.handler)

    # When the poller runs while every batch is still being handled
    poller.start()
    try:
        # Then two batches are handled at once, and never a third
        assert instances.wait_until(lambda: len(instances.inside) == 2, MUST_HAPPEN_SECONDS)
        assert not instances.wait_until(lambda: len(instances.inside) > 2, MUST_NOT_HAPPEN_SECONDS)
        instances.release.set()
        assert eventually(lambda: queue_is_empty(queue))
    finally:
        poller.stop()
    assert instances.most_at_once == 2
    assert queue.bodies() == []


def queue_is_empty(queue: Queue) -> bool:
    attributes = queue.sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    return attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def eventually(condition: Callable[[], bool]) -> bool:
    """Whether `condition` holds within MUST_HAPPEN_SECONDS (checked every 50 ms)."""
    deadline = time.monotonic() + MUST_HAPPEN_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_mapping_without_a_maximum_concurrency_runs_five_batches_at_once() -> None:
    # Given mappings with and without ScalingConfig.MaximumConcurrency
    unset = FunctionRuntime(sqs_spec(), handler=Instances().handler)
    three = FunctionRuntime(sqs_spec(max_concurrency=3), handler=Instances().handler)

    # When / Then (five: Lambda's initial number of SQS pollers)
    assert QueuePoller(None, unset.spec.sqs[0], "", "", unset).max_concurrency == DEFAULT_MAX_CONCURRENCY == 5
    assert QueuePoller(None, three.spec.sqs[0], "", "", three).max_concurrency == 3


def test_the_template_scaling_config_sets_a_mappings_maximum_concurrency(template: Template) -> None:
    # Given the template with MaximumConcurrency on the delivery queue's event source
    doc = copy.deepcopy(template.doc)
    events = doc["Resources"]["DeliveryFunction"]["Properties"]["Events"]
    [source] = [e for e in events.values() if e["Type"] == "SQS"]
    source["Properties"]["ScalingConfig"] = {"MaximumConcurrency": 7}
    scaled = Template(template.path, doc, dict(template.parameters))

    # When / Then
    assert scaled.functions["DeliveryFunction"].sqs[0].max_concurrency == 7
    assert template.functions["FlowRunnerFunction"].sqs[0].max_concurrency is None


def test_a_mapping_to_a_function_that_is_not_safe_to_share_runs_one_batch_at_a_time(aws: EmbeddedAws) -> None:
    # Given a queue mapped to a function that also serves API routes
    queue, instances = Queue(aws, "one-at-a-time", visibility=60), Instances()
    queue.send("one", "two")
    spec = sqs_spec(max_concurrency=5)
    both = FunctionSpec(spec.logical_id, spec.code_uri, spec.handler, {}, 60, 256, api_spec().routes, spec.sqs)
    poller = queue.poller(both, instances.handler)

    # When the poller runs
    poller.start()
    try:
        # Then it takes the second batch only once the first is done
        assert instances.wait_until(lambda: bool(instances.inside), MUST_HAPPEN_SECONDS)
        assert not instances.wait_until(lambda: len(instances.inside) > 1, MUST_NOT_HAPPEN_SECONDS)
        instances.release.set()
        assert eventually(lambda: queue_is_empty(queue))
    finally:
        poller.stop()
    assert instances.most_at_once == 1


def test_a_reported_failure_stays_on_the_queue_and_goes_to_the_dlq_after_max_receives(aws: EmbeddedAws) -> None:
    # Given a function that reports "bad" as failed and processes the rest, and a queue
    # that moves a message to its DLQ after two receives
    queue = Queue(aws, "partial", max_receive_count=2)
    queue.send("good", "bad")

    def report_bad(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failed = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
        return {"batchItemFailures": failed}

    poller = queue.poller(sqs_spec(batch_size=10), report_bad)

    # When it is polled three times
    batch_sizes = [poller.poll_once() for _ in range(3)]

    # Then "good" was deleted at once, "bad" was received twice, then moved to the DLQ
    assert batch_sizes == [2, 1, 0]
    assert queue.bodies(queue.dlq_url) == ["bad"]


def test_a_function_error_leaves_the_whole_batch_on_the_queue(aws: EmbeddedAws) -> None:
    # Given a function that raises
    queue = Queue(aws, "raises", max_receive_count=5)
    queue.send("a")

    def raises(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    poller = queue.poller(sqs_spec(), raises)

    # When it is polled
    assert poller.poll_once() == 1

    # Then the message is still there
    assert queue.bodies() == ["a"]


# ------------------------------------------------------------------ the queue handlers run concurrently


def test_flow_runner_batches_handled_at_once_each_report_only_their_own_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given two batches whose messages fail, each only once the other batch has started
    from flow_runner import handler
    from hookyard import messages

    both_started = threading.Barrier(2, timeout=MUST_HAPPEN_SECONDS)

    def parse_once_both_started(body: Any) -> Any:
        both_started.wait()
        raise ValueError("not a flow message")

    monkeypatch.setattr(messages, "parse_flow_message", parse_once_both_started)

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
