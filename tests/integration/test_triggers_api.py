"""Triggers (Zendesk /api/v2/triggers) through the webhooks API's real handler on moto:
CRUD, validation of conditions and webhook actions, and the routes of each active trigger
with what the router delivers for it."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from hookyard.dal.triggers import TriggersRepository
from tests.integration.conftest import (
    body,
    invoke,
    load_event,
    put_bus_event,
    queued,
    route_queued,
    routes_of,
    with_path,
    with_query,
)

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


def routes(trigger_id: str) -> list[dict[str, Any]]:
    return routes_of(f"T#{trigger_id}")


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


def test_an_active_trigger_without_a_type_condition_is_routed_for_every_event_of_its_account() -> None:
    webhook_id = webhook()
    created = create(webhook_id)

    found = routes(created["id"])

    assert [r["PK"] for r in found] == ["ROUTE#1#*"]
    assert found[0]["webhooks"] == [webhook_id]
    assert json.loads(found[0]["conditions"]) == created["conditions"]
    record = repo().get(1, created["id"])
    assert [(a.webhook_id, a.body) for a in record.webhook_actions()] == [(webhook_id, JSON_BODY)]


def test_a_trigger_that_requires_a_type_is_routed_under_that_type_only() -> None:
    conditions = {
        "all": [
            {"field": "type", "operator": "is", "value": "slack:event-type:ticket.NewReply"},
            {"field": "comment", "operator": "includes", "value": "refund"},
        ],
        "any": [],
    }

    created = create(webhook(), conditions=conditions)

    assert [r["PK"] for r in routes(created["id"])] == ["ROUTE#1#slack:event-type:ticket.NewReply"]
    assert body(call("show_trigger", trigger_id=created["id"]))["trigger"]["conditions"] == conditions


DETAIL = {
    "account_id": 1,
    "integration": "acme",
    "event_id": "01JD5W3S7Y1Q9M8K4T6R2N0B3C",
    "received_at": "2026-11-23T09:30:00.123Z",
    "source_system": "slack",
    "event_type": "ticket.NewReply",
    "body": {"priority": "urgent", "ticket": {"id": 7}},
}


def test_a_matching_event_reaches_the_delivery_queue_once_per_action_and_others_do_not() -> None:
    webhook_id = webhook()
    created = create(webhook_id)
    other_account = create(webhook(account_id=2), account_id=2)

    put_bus_event("slack", "ticket.NewReply", DETAIL)
    put_bus_event("slack", "ticket.NewReply", {**DETAIL, "event_id": "01JD5W3S7Y1Q9M8K4T6R2N0B3D", "body": {}})
    route_queued()

    assert queued("DELIVERY_QUEUE_URL") == [
        {"kind": "trigger", "account_id": 1, "trigger_id": created["id"], "action": 0, "webhook_id": webhook_id,
         "event": DETAIL}
    ]  # fmt: skip
    assert other_account["id"] != created["id"]


def test_an_inactive_trigger_has_no_routes_and_gets_nothing() -> None:
    created = create(webhook(), active=False)

    put_bus_event("slack", "ticket.NewReply", DETAIL)
    route_queued()

    assert routes(created["id"]) == []
    assert queued("DELIVERY_QUEUE_URL") == []


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
    [route] = routes(created["id"])
    assert json.loads(route["conditions"])["all"] == [{"field": "priority", "operator": "is", "value": "high"}]


def test_patch_deactivates_and_reactivates_the_routes() -> None:
    created = create(webhook())

    off = call("patch_trigger", {"trigger": {"active": False}}, trigger_id=created["id"])
    routes_when_off = routes(created["id"])
    on = call("patch_trigger", {"trigger": {"active": True, "title": "Back"}}, trigger_id=created["id"])

    assert off["statusCode"] == on["statusCode"] == 200
    assert body(off)["trigger"]["active"] is False
    assert routes_when_off == []
    assert len(routes(created["id"])) == 1
    assert body(on)["trigger"]["title"] == "Back"
    assert body(on)["trigger"]["conditions"] == created["conditions"]


def test_patch_with_an_invalid_result_answers_400() -> None:
    created = create(webhook())

    response = call("patch_trigger", {"trigger": {"actions": []}}, trigger_id=created["id"])

    assert response["statusCode"] == 400
    assert "trigger.actions" in error_detail(response)


def test_delete_answers_204_and_removes_the_routes() -> None:
    created = create(webhook())

    response = call("delete_trigger", trigger_id=created["id"])

    assert response["statusCode"] == 204
    assert routes(created["id"]) == []
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
    assert [r["PK"] for r in routes(created["id"])] == ["ROUTE#2#*"]


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
