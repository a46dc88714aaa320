"""Hostile JSON through the real management handlers: nesting past
hookyard.jsonlimits.MAX_DEPTH is a 400 naming the limit on every route that parses a
body, never a 5xx, and nothing is stored; a document at the limit is carried.
(Ingest's side is in test_ingest.py.)"""

from __future__ import annotations

import base64
import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from hookyard.config import get_settings
from hookyard.jsonlimits import MAX_DEPTH
from tests.conftest import EVENTS
from tests.integration.conftest import body, invoke, load_event, with_query

pytestmark = pytest.mark.usefixtures("aws_env")

V2_FUNCTIONS = {"accounts_api", "webhooks_api"}  # the others answer in the ZIS envelope


def _management_events_with_a_body() -> list[str]:
    names = []
    for path in sorted(EVENTS.glob("*/*.json")):
        event = json.loads(path.read_text())
        if path.parent.name not in ("ingest", "authorizer") and event.get("body"):
            names.append(f"{path.parent.name}/{path.name}")
    return names


def deep_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def management(event_name: str, event: dict[str, Any]) -> dict[str, Any]:
    function = Path(event_name).parent.name
    handler = importlib.import_module(f"{function}.handler").lambda_handler
    return invoke(handler, event, function)


def assert_refused_for_depth(function: str, response: dict[str, Any]) -> None:
    assert response["statusCode"] == 400
    (error,) = body(response)["errors"]
    if function in V2_FUNCTIONS:
        assert (error["code"], error["title"]) == ("InvalidInput", "Bad Request")
    else:
        assert (error["code"], error["status"]) == ("1010", "400")
    assert f"the limit is {MAX_DEPTH} levels" in error["detail"]


# ------------------------------------------------------------------ management APIs


@pytest.mark.parametrize("shape", [deep_arrays, deep_objects])
@pytest.mark.parametrize("event_name", _management_events_with_a_body())
def test_a_management_body_nested_10000_deep_answers_400_naming_the_limit(event_name: str, shape: Any) -> None:
    # Given a body that would exhaust the parser's recursion
    event = load_event(event_name)
    event["body"] = shape(10_000)

    # When
    response = management(event_name, event)

    # Then
    assert_refused_for_depth(Path(event_name).parent.name, response)


@pytest.mark.parametrize("event_name", _management_events_with_a_body())
def test_a_management_body_one_level_past_the_limit_answers_400(event_name: str) -> None:
    # Given
    event = load_event(event_name)
    event["body"] = deep_arrays(MAX_DEPTH + 1)

    # When
    response = management(event_name, event)

    # Then
    assert_refused_for_depth(Path(event_name).parent.name, response)


@pytest.fixture
def integration(aws_env: Any) -> None:
    """Given the integration that events/registry_api/configs_*.json address."""
    created = management("registry_api/create_integration.json", load_event("registry_api/create_integration.json"))
    assert created["statusCode"] == 201, created["body"]


@pytest.mark.usefixtures("integration")
def test_a_deep_config_is_refused_and_not_stored() -> None:
    # Given
    event = load_event("registry_api/configs_create.json")
    sent = json.loads(event["body"])
    event["body"] = json.dumps({**sent, "config": json.loads(deep_objects(MAX_DEPTH))})

    # When
    response = management("registry_api/configs_create.json", event)
    listed = management("registry_api/configs_list.json", load_event("registry_api/configs_list.json"))

    # Then
    assert response["statusCode"] == 400
    assert body(listed)["configs"] == []


@pytest.mark.usefixtures("integration")
def test_a_config_nested_up_to_the_limit_is_stored_and_shown_as_sent() -> None:
    # Given a body exactly MAX_DEPTH deep (the config one level less)
    event = load_event("registry_api/configs_create.json")
    sent = json.loads(event["body"])
    config = json.loads(deep_objects(MAX_DEPTH - 1))
    event["body"] = json.dumps({**sent, "config": config})

    # When
    created = management("registry_api/configs_create.json", event)
    shown = management("registry_api/configs_show.json", load_event("registry_api/configs_show.json"))

    # Then
    assert created["statusCode"] == 201, created["body"]
    assert body(shown)["config"]["config"] == config


def test_a_webhook_body_nested_up_to_the_limit_is_not_refused_for_depth() -> None:
    # Given
    event = load_event("webhooks_api/create.json")
    event["body"] = deep_arrays(MAX_DEPTH)

    # When
    response = management("webhooks_api/create.json", event)

    # Then a validation error about the shape, never about depth, and never a 5xx
    assert response["statusCode"] == 400
    assert str(MAX_DEPTH) not in response["body"]


@pytest.mark.parametrize("event_name", ["registry_api/configs_list.json", "inbound_webhooks_api/list.json"])
def test_a_page_cursor_holding_deep_json_answers_400(event_name: str) -> None:
    # Given a crafted page[after]: a cursor is base64 JSON, so it is parsed
    event = load_event(event_name)
    cursor = base64.urlsafe_b64encode(deep_arrays(10_000).encode()).decode().rstrip("=")
    with_query(event, {**(event.get("queryStringParameters") or {}), "page[after]": cursor})

    # When
    response = management(event_name, event)

    # Then
    assert response["statusCode"] == 400
    assert "page[after]" in body(response)["errors"][0]["detail"]


@pytest.fixture
def trigger_webhook(aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Given a webhook connected to triggers, at a loopback endpoint this test allows."""
    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    event = load_event("webhooks_api/create.json")
    webhook = json.loads(event["body"])["webhook"]
    del webhook["custom_headers"]  # they need an https endpoint
    webhook |= {
        "endpoint": "http://127.0.0.1:9/hook",
        "subscriptions": ["conditional_ticket_events"],
        "authentication": {"type": "basic_auth", "data": {"username": "u", "password": "p"}, "add_position": "header"},
    }
    event["body"] = json.dumps({"webhook": webhook})
    created = management("webhooks_api/create.json", event)
    assert created["statusCode"] == 201, created["body"]
    webhook_id: str = body(created)["webhook"]["id"]
    return webhook_id


def test_a_trigger_whose_json_body_template_nests_10000_deep_answers_400(trigger_webhook: str) -> None:
    # Given a notification body (a JSON string in the request) that renders to deep JSON
    event = load_event("webhooks_api/create_trigger.json")
    trigger = json.loads(event["body"])["trigger"]
    trigger["actions"][0]["value"] = [trigger_webhook, deep_arrays(10_000)]
    event["body"] = json.dumps({"trigger": trigger})

    # When
    response = management("webhooks_api/create_trigger.json", event)

    # Then
    assert response["statusCode"] == 400
    assert f"the limit is {MAX_DEPTH} levels" in body(response)["errors"][0]["detail"]
