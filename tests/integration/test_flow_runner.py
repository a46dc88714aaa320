"""The flow runner through its real handler on moto: what it stores per flow, what it
reads back, and bundles and executions stored by earlier versions."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from hookyard import aws
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import from_item, to_item
from hookyard_dev.poller import sqs_event
from tests.e2e.receiver import Receiver
from tests.integration.conftest import body, invoke
from tests.integration.test_registry_and_flows import (
    INTEGRATION,
    TICKET,
    ingest,
    install,
    registry,
    run_flow_queue,
    tutorial,
    upload,
)

FLOW = "post_tickets_to_webhook_flow"
ACTION_STATE = "Zendesk.TicketCreated"
FLOW_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:FlowQueue"


pytestmark = pytest.mark.usefixtures("loopback_env")


def states(bundle: dict[str, Any]) -> dict[str, Any]:
    """The tutorial flow's states, to change in place."""
    states: dict[str, Any] = bundle["resources"][FLOW]["properties"]["definition"]["States"]
    return states


def with_states(bundle: dict[str, Any], start: str, **extra: dict[str, Any]) -> dict[str, Any]:
    bundle["resources"][FLOW]["properties"]["definition"]["StartAt"] = start
    states(bundle).update(extra)
    return bundle


def setup(bundle: dict[str, Any]) -> None:
    assert registry("create_integration")["statusCode"] == 201
    uploaded = upload(bundle)
    assert uploaded["statusCode"] == 200, uploaded["body"]
    assert install()["statusCode"] == 200


def executions() -> list[dict[str, Any]]:
    """Every execution the executions API shows, by the ids the logs name."""
    logs = body(registry("list_logs"))["logs"]
    ids = sorted({entry["execution_id"] for entry in logs})
    return [body(registry("show_execution", integration=INTEGRATION, execution_id=i))["execution"] for i in ids]


def run_messages(*messages: dict[str, Any]) -> dict[str, Any]:
    """The flow runner on these message bodies, as SQS would hand them over."""
    from flow_runner.handler import lambda_handler as runner

    records = [{"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "Body": json.dumps(m)} for i, m in enumerate(messages)]
    return invoke(runner, sqs_event(records, FLOW_QUEUE_ARN))


class DynamoCalls:
    """Every DynamoDB request the handlers make from here on: (operation, parameters)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        aws.dynamodb().meta.events.register("provide-client-params.dynamodb", self.note)

    def note(self, params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        self.calls.append((model.name, copy.deepcopy(params)))

    def activity_writes(self) -> list[tuple[str, int]]:
        """(what each item written to the activity table is, the size of its write)."""
        table = os.environ["ACTIVITY_TABLE_NAME"]
        written: list[tuple[str, int]] = []
        for operation, params in self.calls:
            items: list[dict[str, Any]] = []
            if operation in ("PutItem", "UpdateItem", "DeleteItem") and params["TableName"] == table:
                items = [params.get("Item") or params["Key"]]
                size = len(json.dumps(params))
                written += [(_kind(item), size) for item in items]
            elif operation == "BatchWriteItem":
                for request in params["RequestItems"].get(table, []):
                    item = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
                    written.append((_kind(item), len(json.dumps(item))))
            elif operation == "TransactWriteItems":
                for entry in params["TransactItems"]:
                    ((_, write),) = entry.items()
                    if write["TableName"] == table:
                        written.append((_kind(write.get("Item") or write["Key"]), len(json.dumps(write))))
        return written

    def activity_reads(self) -> list[str]:
        table = os.environ["ACTIVITY_TABLE_NAME"]
        return [
            operation
            for operation, params in self.calls
            if operation in ("GetItem", "Query", "BatchGetItem") and params.get("TableName") == table
        ]


def _kind(item: dict[str, Any]) -> str:
    pk, sk = item["PK"]["S"], item["SK"]["S"]
    return "LOG" if pk.startswith("LOG#") else sk


# ---------------------------------------------------------------- what a flow stores


def test_a_flow_writes_each_record_once_and_reads_nothing_back(receiver: Receiver) -> None:
    # Given an installed flow of a Pass state and an HTTP action (sending two fields of the
    # ticket), and a ticket event whose body is larger than a write unit (1 KB)
    bundle = tutorial(receiver.url + "/tutorial")
    del states(bundle)[ACTION_STATE]["Parameters"]["ticketId.$"]  # "$": the whole data
    del bundle["resources"]["post-to-webhook-site"]["properties"]["definition"]["headers"]
    setup(
        with_states(
            bundle, "Note", Note={"Type": "Pass", "Result": "noted", "ResultPath": "$.note", "Next": ACTION_STATE}
        )
    )
    ticket = copy.deepcopy(TICKET)
    ticket["ticket_event"]["ticket"]["description"] = "d" * 1500
    ingest("support", "ticket.TicketCreated", ticket)
    calls = DynamoCalls()

    # When the flow runs
    run_flow_queue()

    # Then each record was written once (the execution when it started and when it ended,
    # one log entry: its outcome), each write fits one write unit (none carries the event),
    # and nothing was read back
    assert len(receiver.wait_for(1, "/tutorial")) == 1
    writes = calls.activity_writes()
    assert sorted(kind for kind, _ in writes) == [
        "EXECUTION",
        "EXECUTION",
        "LOG",
        "STEP#1:1:Note",
        f"STEP#1:2:{ACTION_STATE}",
    ]
    assert all(size < 1024 for _, size in writes), writes
    assert calls.activity_reads() == []
    # and the executions API shows every state passed, with its input and output
    [execution] = executions()
    assert execution["status"] == "succeeded"
    assert [(s["key"], s["name"], s["type"], s["output"], s["error"]) for s in execution["steps"]] == [
        ("1:1:Note", "Note", "Pass", "noted", None),
        (f"1:2:{ACTION_STATE}", ACTION_STATE, "Action", {}, None),
    ]
    assert execution["steps"][1]["input"]["ticketStatus"] == "open"


def test_step_inputs_and_outputs_are_cut_once_at_2048_characters(receiver: Receiver) -> None:
    # Given a flow whose Pass states give a 2,002-character value of non-ASCII letters (it
    # used to pass the engine's 2,048-character cut and then be cut again as 12,002
    # characters of \\u escapes, into text that was neither the value nor readable) and a
    # 10,002-character one
    bundle = tutorial(receiver.url + "/tutorial")
    accents, long = "é" * 2000, "x" * 10_000
    setup(
        with_states(
            bundle,
            "Accents",
            Accents={"Type": "Pass", "Result": accents, "ResultPath": "$.accents", "Next": "Long"},
            Long={"Type": "Pass", "Result": long, "ResultPath": "$.long", "Next": ACTION_STATE},
        )
    )

    # When the flow runs
    ingest("support", "ticket.TicketCreated", TICKET)
    run_flow_queue()

    # Then the first shows whole, and the second as its JSON text's first 2,048 characters
    [execution] = executions()
    outputs = {s["name"]: s["output"] for s in execution["steps"]}
    assert outputs["Accents"] == accents
    assert outputs["Long"] == json.dumps(long)[:2048] + "... (truncated, 10002 characters)"


# ---------------------------------------------------------------- stored by earlier versions


def store_as_before_validated_flows(document: dict[str, Any]) -> None:
    """The registry as uploads left it before the validated flows were stored: the bundle
    document alone (no FLOW# items), holding what was valid then."""
    dynamodb, table = boto3.client("dynamodb"), os.environ["CONFIG_TABLE_NAME"]
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": account_pk(1)}},
    )["Items"]
    for item in items:
        if item["SK"]["S"].startswith("FLOW#"):
            dynamodb.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})
        elif item["SK"]["S"] == f"BUNDLE#{INTEGRATION}#{document['name']}":
            old = from_item(item)
            fields = ("PK", "SK", "uuid", "name", "description", "zis_template_version", "created_at", "updated_at")
            legacy = {name: old[name] for name in fields}
            legacy["resources"] = json.dumps(document["resources"], separators=(",", ":"))
            dynamodb.put_item(TableName=table, Item=to_item(legacy))


def test_a_bundle_stored_before_the_stricter_checks_still_runs(receiver: Receiver) -> None:
    # Given an installed job spec whose bundle was stored before the flow language checks
    # got stricter: a Retry interval of 0, a Map without ResultPath, a Fail without Error
    # and Cause (re-validated on every message, it failed each one to the DLQ)
    bundle = tutorial(receiver.url + "/tutorial")
    setup(bundle)
    states(bundle)[ACTION_STATE].update(
        {"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 0}], "ResultPath": None, "Next": "Each"}
    )
    del states(bundle)[ACTION_STATE]["End"]
    with_states(
        bundle,
        ACTION_STATE,
        Each={
            "Type": "Map",
            "ItemsPath": "$.input.ticket_event.ticket.tags",
            "Iterator": {"StartAt": "Tag", "States": {"Tag": {"Type": "Pass", "End": True}}},
            "Next": "Check",
        },
        Check={
            "Type": "Choice",
            "Choices": [{"Variable": "$.nope", "IsPresent": True, "Next": "Broken"}],
            "Default": "Done",
        },
        Broken={"Type": "Fail"},
        Done={"Type": "Succeed", "Message": "done"},
    )
    store_as_before_validated_flows(bundle)
    ticket = copy.deepcopy(TICKET)
    ticket["ticket_event"]["ticket"]["tags"] = [{"tag": "vip"}]

    # When an event arrives
    ingest("support", "ticket.TicketCreated", ticket)
    run_flow_queue()

    # Then the flow runs as it was stored, to its end
    assert len(receiver.wait_for(1, "/tutorial")) == 1
    [execution] = executions()
    assert (execution["status"], execution["error"], execution["cause"]) == ("succeeded", None, None)
    assert [s["name"] for s in execution["steps"]] == [ACTION_STATE, "Each", "Tag", "Check", "Done"]


def test_a_waiting_execution_whose_flow_was_removed_fails_cleanly(receiver: Receiver) -> None:
    # Given an execution waiting in a flow that a re-upload then removed (its job spec now
    # runs another flow)
    bundle = with_states(
        tutorial(receiver.url + "/tutorial"), "Pause", Pause={"Type": "Wait", "Seconds": 30, "Next": ACTION_STATE}
    )
    setup(bundle)
    ingest("support", "ticket.TicketCreated", TICKET)
    run_flow_queue()
    [waiting] = executions()
    assert waiting["status"] == "waiting"
    renamed = copy.deepcopy(bundle)
    flow = renamed["resources"].pop(FLOW)
    flow["properties"]["name"] = "renamed_flow"
    renamed["resources"]["renamed_flow"] = flow
    renamed["resources"]["ticket_created_jobspec"]["properties"]["flow_name"] = f"zis:{INTEGRATION}:flow:renamed_flow"
    assert upload(renamed)["statusCode"] == 200

    # When the wait is over
    answer = run_messages({"kind": "continue", "account_id": 1, "execution_id": waiting["id"], "not_before": 0})

    # Then the execution failed, saying why, and the message is done with (not left to the DLQ)
    assert answer["batchItemFailures"] == []
    [execution] = executions()
    assert execution["status"] == "failed"
    assert execution["error"] == "States.Runtime"
    assert execution["cause"] == f"the flow zis:{INTEGRATION}:flow:{FLOW} is no longer in its bundle"
    assert receiver.requests == []


def test_an_execution_waiting_since_an_earlier_version_resumes(receiver: Receiver) -> None:
    # Given an execution stored as earlier versions stored it (the event as JSON text, the
    # bundle's name), waiting before the flow's action
    bundle = with_states(
        tutorial(receiver.url + "/tutorial"), "Pause", Pause={"Type": "Wait", "Seconds": 30, "Next": ACTION_STATE}
    )
    setup(bundle)
    event = {"event_id": "01OLD", "source_system": "support", "event_type": "ticket.TicketCreated", "body": TICKET}
    data = {"account_id": 1, "integration_key": INTEGRATION, "subdomain": "acme", "input": TICKET}
    checkpoint = {
        "version": 1,
        "elapsed": 0.5,
        "steps": 1,
        "frames": [{"state": ACTION_STATE, "data": data, "retries": 0}],
    }
    boto3.client("dynamodb").put_item(
        TableName=os.environ["ACTIVITY_TABLE_NAME"],
        Item=to_item(
            {
                "PK": "EXEC#1#old-1",
                "SK": "EXECUTION",
                "expires_at": 4_000_000_000,
                "id": "old-1",
                "integration": INTEGRATION,
                "job_spec": "ticket_created_jobspec",
                "flow_name": f"zis:{INTEGRATION}:flow:{FLOW}",
                "event_id": "01OLD",
                "status": "waiting",
                "attempt": 1,
                "started_at": "2026-11-01T10:00:00.000Z",
                "bundle": "post_tickets_to_webhook",
                "event": json.dumps(event),
                "checkpoint": json.dumps(checkpoint),
            }
        ),
    )

    # When the wait is over
    answer = run_messages({"kind": "continue", "account_id": 1, "execution_id": "old-1", "not_before": 0})

    # Then the flow carried on from where it waited, to its end
    assert answer["batchItemFailures"] == []
    [request] = receiver.wait_for(1, "/tutorial")
    assert request.json() == {"webhook": {"status": "open", "priority": "high"}}
    execution = body(registry("show_execution", integration=INTEGRATION, execution_id="old-1"))["execution"]
    assert execution["status"] == "succeeded"
    assert [s["name"] for s in execution["steps"]] == [ACTION_STATE]


# ---------------------------------------------------------------- replay, retry


def test_after_a_crash_the_redelivered_message_replays_the_completed_action_and_makes_the_next(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a flow of two actions, and a runner that crashes (as on a timeout) making the second
    from hookyard.outbound import OutboundClient, OutboundResponse

    bundle = tutorial(receiver.url + "/tutorial")
    states(bundle)[ACTION_STATE].update({"ResultPath": "$.first", "Next": "Again"})
    del states(bundle)[ACTION_STATE]["End"]
    with_states(bundle, ACTION_STATE, Again={**states(bundle)[ACTION_STATE], "ResultPath": "$.second", "End": True})
    del states(bundle)["Again"]["Next"]
    setup(bundle)
    ingest("support", "ticket.TicketCreated", TICKET)
    real_request, made = OutboundClient.request, []

    def crashing_once(self: OutboundClient, method: str, url: str, **kwargs: Any) -> OutboundResponse:
        made.append(url)
        if len(made) == 2:
            raise RuntimeError("the function timed out")
        return real_request(self, method, url, **kwargs)

    monkeypatch.setattr(OutboundClient, "request", crashing_once)
    sqs, url = boto3.client("sqs"), os.environ["FLOW_QUEUE_URL"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    event = sqs_event(messages, FLOW_QUEUE_ARN)
    from flow_runner.handler import lambda_handler as runner

    # When the message fails (a batch whose every record failed raises, as Lambda reports
    # it), and SQS delivers it again
    with pytest.raises(BatchProcessingError):
        invoke(runner, event)
    again = invoke(runner, event)

    # Then the first action was made once, and the second after the redelivery
    assert again["batchItemFailures"] == []
    assert len(receiver.wait_for(2, "/tutorial")) == 2
    assert len(made) == 3
    [execution] = executions()
    assert execution["status"] == "succeeded"
    assert [(s["key"], s["output"]) for s in execution["steps"]] == [(f"1:1:{ACTION_STATE}", {}), ("1:2:Again", {})]


def test_a_flow_retried_after_a_503_succeeds_on_its_second_attempt(receiver: Receiver) -> None:
    # Given the tutorial flow, whose endpoint answers 503 once
    from tests.e2e.receiver import Answer

    setup(tutorial(receiver.url + "/tutorial"))
    receiver.answer("/tutorial", Answer(503), then=Answer(200))
    ingest("support", "ticket.TicketCreated", TICKET)
    run_flow_queue()  # the first attempt; the retry it schedules is delayed (sent below)
    [retrying] = executions()
    assert (retrying["status"], retrying["attempt"]) == ("retrying", 1)

    # When the retry message arrives
    answer = run_messages({"kind": "retry", "account_id": 1, "execution_id": retrying["id"], "not_before": 0})

    # Then the second attempt ran from the event, and the execution shows both
    assert answer["batchItemFailures"] == []
    [request, again] = receiver.wait_for(2, "/tutorial")
    assert again.json() == request.json() == {"webhook": {"status": "open", "priority": "high"}}
    [execution] = executions()
    assert (execution["status"], execution["attempt"], execution["error"], execution["cause"]) == (
        "succeeded",
        2,
        None,
        None,
    )
    assert [(s["key"], s["error"]) for s in execution["steps"]] == [
        (f"1:1:{ACTION_STATE}", "States.Runtime: external action failed due to status code: 503"),
        (f"2:1:{ACTION_STATE}", None),
    ]


@pytest.mark.parametrize("kind", ["wait", "retry"])
def test_when_sqs_refuses_the_wake_up_the_execution_is_not_left_waiting(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Given a flow that waits (or is retried after a 503), and SQS refusing the first
    # message that would wake the execution
    from hookyard.queues import QueueError, SqsQueue
    from tests.e2e.receiver import Answer

    bundle = tutorial(receiver.url + "/tutorial")
    if kind == "wait":
        with_states(bundle, "Pause", Pause={"Type": "Wait", "Seconds": 30, "Next": ACTION_STATE})
    else:
        receiver.answer("/tutorial", Answer(503), then=Answer(200))
    setup(bundle)
    ingest("support", "ticket.TicketCreated", TICKET)
    real_send_later, scheduled = SqsQueue.send_later, []

    def refusing_once(self: SqsQueue, body: dict[str, Any], delay: float) -> None:
        scheduled.append(dict(body))
        if len(scheduled) == 1:
            raise QueueError("SQS is unavailable")
        real_send_later(self, body, delay)

    monkeypatch.setattr(SqsQueue, "send_later", refusing_once)
    sqs, url = boto3.client("sqs"), os.environ["FLOW_QUEUE_URL"]
    event = sqs_event(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"], FLOW_QUEUE_ARN)
    from flow_runner.handler import lambda_handler as runner

    # When the message fails and SQS delivers it again
    with pytest.raises(BatchProcessingError):
        invoke(runner, event)
    again = invoke(runner, event)

    # Then the execution is not left waiting for a message that never comes: the wait's
    # wake-up is on the queue this time, and a refused retry's redelivery was the retry
    assert again["batchItemFailures"] == []
    if kind == "wait":
        assert [body["kind"] for body in scheduled] == ["continue", "continue"]
        assert run_messages({**scheduled[-1], "not_before": 0})["batchItemFailures"] == []
    else:
        assert [body["kind"] for body in scheduled] == ["retry"]
        assert len(receiver.wait_for(2, "/tutorial")) == 2
    [execution] = executions()
    assert execution["status"] == "succeeded"
