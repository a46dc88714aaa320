"""Triggers (Zendesk /api/v2/triggers) through the webhooks API's real handler on moto:
CRUD, validation of conditions and webhook actions, and the EventBridge rule of each
active trigger with what it delivers."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from hookyard.dal.triggers import TriggersRepository, trigger_rule_name
from hookyard_dev.template import REGION
from tests.integration.conftest import body, invoke, load_event, with_path, with_query

pytestmark = pytest.mark.usefixtures("aws_env")

PUBLIC = "https://93.184.215.14"
JSON_BODY = '{"ticket": {"id": "{{ticket.id}}", "title": "{{ticket.title}}"}}'


# ------------------------------------------------------------------ helpers


def handler() -> Any:
    from webhooks_api.handler import lambda_handler

    return lambda_handler


def call(
    name: str, payload: Any = None, *, account_id: int = 1, query: dict[str, str] | None = None, **path: str
) -> dict[str, Any]:
    event = load_event(f"webhooks_api/{name}.json")
    event["requestContext"]["authorizer"]["account_id"] = str(account_id)
    if path:
        with_path(event, **path)
    if query is not None:
        with_query(event, query)
    if payload is not None:
        event["body"] = json.dumps(payload)
    return invoke(handler(), event)


def webhook(account_id: int = 1, **fields: Any) -> str:
    """A webhook connected to triggers (json POST unless `fields` say otherwise)."""
    definition = {
        "name": "On-call",
        "endpoint": f"{PUBLIC}/hooks",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["conditional_ticket_events"],
        **fields,
    }
    response = call("create", {"webhook": definition}, account_id=account_id)
    assert response["statusCode"] == 201, response
    return body(response)["webhook"]["id"]  # type: ignore[no-any-return]


def trigger_definition(webhook_id: str, **fields: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "title": "Urgent tickets",
        "active": True,
        "description": "Tell on-call",
        "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}], "any": []},
        "actions": [{"field": "notification_webhook", "value": [webhook_id, JSON_BODY]}],
    }
    definition.update(fields)
    return definition


def create(webhook_id: str, account_id: int = 1, **fields: Any) -> dict[str, Any]:
    response = call("create_trigger", {"trigger": trigger_definition(webhook_id, **fields)}, account_id=account_id)
    assert response["statusCode"] == 201, response
    return body(response)["trigger"]  # type: ignore[no-any-return]


def error_detail(response: dict[str, Any]) -> str:
    return " | ".join(e["detail"] for e in body(response)["errors"])


def events_client() -> Any:
    return boto3.client("events", region_name=REGION)


def rule(trigger_id: str, account_id: int = 1) -> dict[str, Any] | None:
    name = trigger_rule_name(account_id, trigger_id)
    rules = events_client().list_rules(EventBusName=os.environ["EVENT_BUS_NAME"], NamePrefix=name)["Rules"]
    return next((r for r in rules if r["Name"] == name), None)


def delivered() -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(
        QueueUrl=os.environ["DELIVERY_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def repo() -> TriggersRepository:
    return TriggersRepository(os.environ["CONFIG_TABLE_NAME"])


# ------------------------------------------------------------------ create / show


def test_create_answers_201_with_the_trigger() -> None:
    webhook_id = webhook()

    created = create(webhook_id)

    assert created["title"] == "Urgent tickets"
    assert created["active"] is True
    assert created["description"] == "Tell on-call"
    assert created["conditions"]["all"] == [{"field": "priority", "operator": "is", "value": "urgent"}]
    assert created["actions"] == [{"field": "notification_webhook", "value": [webhook_id, JSON_BODY]}]
    assert len(created["id"]) == 26
    shown = call("show_trigger", trigger_id=created["id"])
    assert shown["statusCode"] == 200
    assert body(shown)["trigger"] == created


def test_an_active_trigger_has_one_rule_compiled_from_its_conditions() -> None:
    from hookyard.webhooks.triggers import compile_to_pattern

    webhook_id = webhook()
    created = create(webhook_id)
    bus = os.environ["EVENT_BUS_NAME"]

    found = rule(created["id"])

    assert found is not None
    conditions = {"all": [{"field": "priority", "operator": "is", "value": "urgent"}], "any": []}
    expected, _ = compile_to_pattern(conditions, {"detail": {"account_id": [1]}})
    assert json.loads(found["EventPattern"]) == expected
    assert json.loads(found["EventPattern"])["detail"]["account_id"] == [1]
    targets = events_client().list_targets_by_rule(Rule=found["Name"], EventBusName=bus)["Targets"]
    assert [t["Arn"] for t in targets] == [os.environ["DELIVERY_QUEUE_ARN"]]
    record = repo().get(1, created["id"])
    assert record.rule_name == found["Name"]
    assert [(a.webhook_id, a.body) for a in record.webhook_actions()] == [(webhook_id, JSON_BODY)]


def test_conditions_the_pattern_cannot_express_are_stored_as_residual() -> None:
    from hookyard.webhooks.triggers import compile_to_pattern

    webhook_id = webhook()
    conditions = {
        "all": [
            {"field": "priority", "operator": "is", "value": "urgent"},
            {"field": "comment_includes_word", "operator": "includes", "value": "refund"},
        ],
        "any": [
            {"field": "status", "operator": "is", "value": "open"},
            {"field": "status", "operator": "is", "value": "new"},
        ],
    }

    created = create(webhook_id, conditions=conditions)

    pattern, residual = compile_to_pattern(conditions, {"detail": {"account_id": [1]}})
    record = repo().get(1, created["id"])
    assert residual["all"] == [conditions["all"][1]]  # "includes" is not an EventBridge match
    assert record.residual_conditions == residual
    assert record.pattern == pattern
    assert json.loads(rule(created["id"])["EventPattern"]) == pattern  # type: ignore[index]
    assert body(call("show_trigger", trigger_id=created["id"]))["trigger"]["conditions"] == conditions


def test_a_matching_event_reaches_the_delivery_queue_naming_the_trigger() -> None:
    webhook_id = webhook()
    created = create(webhook_id)
    pattern = repo().get(1, created["id"]).pattern
    source = pattern.get("source", ["support"])[0]
    detail_type = pattern.get("detail-type", ["ticket.created"])[0]
    detail = _matching_detail(pattern["detail"])

    events_client().put_events(
        Entries=[
            {
                "EventBusName": os.environ["EVENT_BUS_NAME"],
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    events_client().put_events(
        Entries=[
            {
                "EventBusName": os.environ["EVENT_BUS_NAME"],
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps({**detail, "account_id": 2}),
            }
        ]
    )

    assert delivered() == [{"kind": "trigger", "account_id": 1, "trigger_id": created["id"], "event": detail}]


def _matching_detail(pattern: dict[str, Any]) -> dict[str, Any]:
    """An event detail that a simple pattern (lists of values, nested objects) matches."""
    out: dict[str, Any] = {}
    for name, rule_ in pattern.items():
        if isinstance(rule_, dict):
            out[name] = _matching_detail(rule_)
        else:
            plain = [v for v in rule_ if not isinstance(v, dict)]
            assert plain, f"the test expects plain values in the pattern, got {rule_}"
            out[name] = plain[0]
    return out


def test_an_inactive_trigger_has_no_rule() -> None:
    created = create(webhook(), active=False)

    assert rule(created["id"]) is None


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("actions", "named"),
    [
        ([{"field": "status", "value": "solved"}], "actions[0].field"),
        ([{"field": "notification_webhook", "value": "just-a-string"}], "actions[0].value"),
        ([{"field": "notification_webhook", "value": ["only-an-id"]}], "actions[0].value"),
        ([{"field": "notification_webhook", "value": ["01UNKNOWNWEBHOOK", "{}"]}], "does not exist"),
        ([], "actions"),
    ],
)
def test_invalid_actions_answer_400_naming_the_action(actions: list[Any], named: str) -> None:
    webhook()

    response = call("create_trigger", {"trigger": trigger_definition("x", actions=actions)})

    assert response["statusCode"] == 400, response
    assert named in error_detail(response)


def test_an_action_may_not_notify_an_event_subscribed_webhook() -> None:
    response = call(
        "create",
        {
            "webhook": {
                "name": "events",
                "endpoint": f"{PUBLIC}/e",
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": ["zen:event-type:ticket.created"],
            }
        },
    )
    event_webhook = body(response)["webhook"]["id"]

    refused = call("create_trigger", {"trigger": trigger_definition(event_webhook)})

    assert refused["statusCode"] == 400
    assert "conditional_ticket_events" in error_detail(refused)


def test_an_action_may_not_notify_another_accounts_webhook() -> None:
    foreign = webhook(account_id=2)

    response = call("create_trigger", {"trigger": trigger_definition(foreign)})

    assert response["statusCode"] == 400
    assert "does not exist" in error_detail(response)


def test_a_liquid_syntax_error_in_the_body_answers_400() -> None:
    webhook_id = webhook()

    response = call(
        "create_trigger",
        {
            "trigger": trigger_definition(
                webhook_id,
                actions=[{"field": "notification_webhook", "value": [webhook_id, '{"a": "{% if ticket.id %}x"}']}],
            )
        },
    )

    assert response["statusCode"] == 400
    assert "actions[0].value" in error_detail(response)


def test_a_body_that_is_not_json_for_a_json_webhook_answers_400() -> None:
    webhook_id = webhook()

    response = call(
        "create_trigger",
        {
            "trigger": trigger_definition(
                webhook_id, actions=[{"field": "notification_webhook", "value": [webhook_id, '{"id": {{ticket.id}']}]
            )
        },
    )

    assert response["statusCode"] == 400
    assert "actions[0].value" in error_detail(response)


def test_a_body_with_placeholders_where_json_values_go_is_accepted() -> None:
    webhook_id = webhook()

    created = create(
        webhook_id,
        actions=[
            {"field": "notification_webhook", "value": [webhook_id, '{"id": {{ticket.id}}, "t": "{{ticket.title}}"}']}
        ],
    )

    assert created["actions"][0]["value"][0] == webhook_id


def test_the_docs_custom_json_payload_is_accepted() -> None:
    webhook_id = webhook()
    event = load_event("webhooks_api/create_trigger_docs_payload.json")
    event["body"] = event["body"].replace("01JWEBHOOK000000000000000A", webhook_id)

    response = invoke(handler(), event)

    assert response["statusCode"] == 201, response
    assert "{{ticket.description}}" in body(response)["trigger"]["actions"][0]["value"][1]


def test_the_save_time_check_escapes_placeholders_in_json_strings_as_deliveries_do() -> None:
    # The default (used when the ticket has no subject) has quotes; inside a JSON string
    # they are escaped, when saved as when delivered.
    webhook_id = webhook()
    template = """{"subject": "{{ ticket.title | default: 'No "subject"' }}"}"""

    response = call(
        "create_trigger",
        {
            "trigger": trigger_definition(
                webhook_id, actions=[{"field": "notification_webhook", "value": [webhook_id, template]}]
            )
        },
    )

    assert response["statusCode"] == 201, response


def test_an_xml_webhook_takes_a_body_that_is_not_json() -> None:
    webhook_id = webhook(http_method="PUT", request_format="xml")

    created = create(
        webhook_id, actions=[{"field": "notification_webhook", "value": [webhook_id, "<ticket>{{ticket.id}}</ticket>"]}]
    )

    assert created["active"] is True


def test_a_body_of_256_kb_or_more_answers_400() -> None:
    webhook_id = webhook()
    big = '{"a": "' + "x" * (256 * 1024) + '"}'

    response = call(
        "create_trigger",
        {
            "trigger": trigger_definition(
                webhook_id, actions=[{"field": "notification_webhook", "value": [webhook_id, big]}]
            )
        },
    )

    assert response["statusCode"] == 400
    assert "256 KB" in error_detail(response)


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ('{"a": "{% for i in (1..5000) %}' + "x" * 64 + '{% endfor %}"}', "256 KB"),
        ('{"a": "{% for i in (1..200000) %}{% endfor %}"}', "loop"),
    ],
)
def test_a_body_that_renders_past_a_limit_answers_400(template: str, problem: str) -> None:
    webhook_id = webhook()

    response = call(
        "create_trigger",
        {
            "trigger": trigger_definition(
                webhook_id, actions=[{"field": "notification_webhook", "value": [webhook_id, template]}]
            )
        },
    )

    assert response["statusCode"] == 400, response
    assert problem in error_detail(response)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"title": ""}, "title"),
        ({"conditions": {"all": [{"field": "priority"}]}}, "operator"),
        ({"conditions": {"none": []}}, "none"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_invalid_trigger_answers_400_naming_the_field(fields: dict[str, Any], named: str) -> None:
    webhook_id = webhook()

    response = call("create_trigger", {"trigger": trigger_definition(webhook_id, **fields)})

    assert response["statusCode"] == 400, response
    assert named in error_detail(response)


# ------------------------------------------------------------------ list / update / delete


def test_list_pages_through_the_accounts_triggers_only() -> None:
    webhook_id = webhook()
    mine = [create(webhook_id, title=f"t{i}")["id"] for i in range(3)]
    create(webhook(account_id=2), account_id=2)

    first = body(call("list_triggers", query={"page[size]": "2"}))
    second = body(call("list_triggers", query={"page[size]": "2", "page[after]": first["meta"]["after_cursor"]}))
    back = body(call("list_triggers", query={"page[size]": "2", "page[before]": second["meta"]["before_cursor"]}))

    assert [t["id"] for t in first["triggers"]] == mine[:2]
    assert first["meta"]["has_more"] is True
    assert first["links"]["next"] is not None
    assert [t["id"] for t in second["triggers"]] == mine[2:]
    assert second["meta"]["has_more"] is False
    assert [t["id"] for t in back["triggers"]] == mine[:2]


def test_list_filters_by_active() -> None:
    webhook_id = webhook()
    on = create(webhook_id)
    off = create(webhook_id, active=False)

    active = body(call("list_triggers", query={"active": "true"}))["triggers"]
    inactive = body(call("list_triggers", query={"active": "false"}))["triggers"]

    assert [t["id"] for t in active] == [on["id"]]
    assert [t["id"] for t in inactive] == [off["id"]]


def test_put_replaces_and_answers_200_with_the_trigger() -> None:
    webhook_id = webhook()
    created = create(webhook_id)

    response = call(
        "replace_trigger",
        {
            "trigger": trigger_definition(
                webhook_id,
                title="Renamed",
                description=None,
                conditions={"all": [{"field": "priority", "operator": "is", "value": "high"}]},
            )
        },
        trigger_id=created["id"],
    )

    assert response["statusCode"] == 200, response
    replaced = body(response)["trigger"]
    assert replaced["title"] == "Renamed"
    assert replaced["description"] is None
    assert replaced["created_at"] == created["created_at"]
    assert json.loads(rule(created["id"])["EventPattern"]) == repo().get(1, created["id"]).pattern  # type: ignore[index]
    assert "high" in rule(created["id"])["EventPattern"]  # type: ignore[index]


def test_patch_deactivates_and_reactivates_the_rule() -> None:
    created = create(webhook())

    off = call("patch_trigger", {"trigger": {"active": False}}, trigger_id=created["id"])
    rule_when_off = rule(created["id"])
    on = call("patch_trigger", {"trigger": {"active": True, "title": "Back"}}, trigger_id=created["id"])

    assert off["statusCode"] == on["statusCode"] == 200
    assert body(off)["trigger"]["active"] is False
    assert rule_when_off is None
    assert rule(created["id"]) is not None
    assert body(on)["trigger"]["title"] == "Back"
    assert body(on)["trigger"]["conditions"] == created["conditions"]


def test_patch_with_an_invalid_result_answers_400() -> None:
    created = create(webhook())

    response = call("patch_trigger", {"trigger": {"actions": []}}, trigger_id=created["id"])

    assert response["statusCode"] == 400
    assert "trigger.actions" in error_detail(response)


def test_delete_answers_204_and_removes_the_rule() -> None:
    created = create(webhook())

    response = call("delete_trigger", trigger_id=created["id"])

    assert response["statusCode"] == 204
    assert rule(created["id"]) is None
    assert call("show_trigger", trigger_id=created["id"])["statusCode"] == 404
    assert call("delete_trigger", trigger_id=created["id"])["statusCode"] == 404


def test_another_accounts_trigger_is_a_404() -> None:
    created = create(webhook(account_id=2), account_id=2)

    for name, payload in [
        ("show_trigger", None),
        ("replace_trigger", {"trigger": trigger_definition("x")}),
        ("patch_trigger", {"trigger": {"active": False}}),
        ("delete_trigger", None),
    ]:
        assert call(name, payload, trigger_id=created["id"])["statusCode"] == 404, name
    assert rule(created["id"], account_id=2) is not None


def test_a_webhook_that_a_trigger_notifies_cannot_be_deleted() -> None:
    webhook_id = webhook()
    created = create(webhook_id)

    refused = call("delete", webhook_id=webhook_id)
    call("delete_trigger", trigger_id=created["id"])
    allowed = call("delete", webhook_id=webhook_id)

    assert refused["statusCode"] == 409
    assert created["id"] in error_detail(refused)
    assert allowed["statusCode"] == 204


def test_the_events_files_create_trigger_names_a_sample_webhook_that_does_not_exist() -> None:
    response = invoke(handler(), load_event("webhooks_api/create_trigger.json"))

    assert response["statusCode"] == 400
    assert "does not exist" in error_detail(response)
