"""HTTP action rendering and the built-in actions (Jq, LoadConfig, PatchConfig)."""

from __future__ import annotations

from typing import Any

import pytest

from hookyard.flows.actions import (
    JQ,
    LOAD_CONFIG,
    PATCH_CONFIG,
    BuiltinActions,
    RenderedRequest,
    check_action_definition,
    http_request,
)
from hookyard.flows.engine import ActionError
from tests.unit.flows.fakes import MemoryConfigs


def test_the_tutorial_action_renders_dollar_keys_in_headers_and_body() -> None:
    definition = {
        "method": "POST",
        "url": "https://webhook.example/abc",
        "headers": [{"key": "X-Zendesk-Ticket-Id", "value.$": "$.ticketId"}],
        "requestBody": {"webhook": {"status.$": "$.ticketStatus", "priority.$": "$.ticketPriority"}},
    }

    request = http_request(definition, {"ticketId": 35436, "ticketStatus": "new", "ticketPriority": None})

    assert request == RenderedRequest(
        method="POST",
        url="https://webhook.example/abc",
        path=None,
        connection_name=None,
        headers=[("X-Zendesk-Ticket-Id", "35436")],
        body={"webhook": {"status": "new", "priority": None}},
    )


def test_a_connection_path_action_renders_placeholders_in_path_and_body_strings() -> None:
    definition = {
        "connectionName": "zendesk",
        "method": "put",
        "path": "/api/v2/tickets/{{$.ticket_id}}.json",
        "headers": [{"key": "Content-Type", "value": "application/json"}],
        "requestBody": {
            "ticket": {
                "comment": {"body": "Priority: {{$.priority}}\n{{$.text}}", "public": False},
                "custom_fields": [{"id": 1, "value": "{{$.ticket_id}}"}],
            }
        },
    }

    request = http_request(definition, {"ticket_id": 12, "priority": "high", "text": "hello"})

    assert request.method == "PUT"
    assert (request.connection_name, request.url, request.path) == ("zendesk", None, "/api/v2/tickets/12.json")
    assert request.headers == [("Content-Type", "application/json")]
    assert request.body == {
        "ticket": {
            "comment": {"body": "Priority: high\nhello", "public": False},
            "custom_fields": [{"id": 1, "value": "12"}],
        }
    }


def test_request_body_dollar_takes_the_whole_body_from_the_input() -> None:
    definition = {"method": "PUT", "connectionName": "zendesk", "path": "/x", "requestBody.$": "$.requestBody"}
    body = {"ticket": {"tags": ["a"]}}
    assert http_request(definition, {"requestBody": body}).body == body


def test_no_request_body_means_no_body() -> None:
    assert http_request({"method": "GET", "url": "https://api.example/x"}, {}).body is None


def test_url_dollar_can_be_a_path_or_a_template() -> None:
    from_path = http_request({"method": "GET", "url.$": "$.next_page"}, {"next_page": "https://api.example/p?page=2"})
    from_template = http_request(
        {"method": "GET", "url.$": "https://webhook.example/{{$.path_name}}"}, {"path_name": "abc"}
    )
    assert from_path.url == "https://api.example/p?page=2"
    assert from_template.url == "https://webhook.example/abc"


def test_placeholders_in_urls_encode_what_a_url_cannot_carry_but_keep_reserved_characters() -> None:
    definition = {"method": "GET", "connectionName": "z", "path": "/search?external_id={{$.token}}&q={{$.q}}"}
    request = http_request(definition, {"token": "a b/é", "q": "https://x.example/?a=1"})
    assert request.path == "/search?external_id=a%20b/%C3%A9&q=https://x.example/?a=1"


def test_query_params_are_appended_encoded() -> None:
    definition = {
        "method": "GET",
        "url": "https://api.example/items?fixed=1",
        "queryParams": [{"key": "q", "value.$": "$.q"}, {"key": "n", "value": 5}],
    }
    assert http_request(definition, {"q": "a&b c"}).url == "https://api.example/items?fixed=1&q=a%26b+c&n=5"


def test_a_header_value_from_a_non_string_is_its_json_text() -> None:
    definition = {
        "method": "GET",
        "url": "https://api.example/",
        "headers": [{"key": "X-Id", "value.$": "$.id"}, {"key": "X-Label", "value": "ticket {{$.id}}"}],
    }
    assert http_request(definition, {"id": 7}).headers == [("X-Id", "7"), ("X-Label", "ticket 7")]


def test_a_missing_input_path_is_an_action_error() -> None:
    definition = {"method": "GET", "connectionName": "z", "path": "/tickets/{{$.ticket_id}}.json"}
    with pytest.raises(ActionError, match=r"\$\.ticket_id was not found") as caught:
        http_request(definition, {})
    assert caught.value.error == "States.Runtime"
    assert caught.value.status is None


def definition_problems(definition: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    check_action_definition(definition, "$.d", lambda path, message: found.append((path, message)))
    return found


@pytest.mark.parametrize(
    ("definition", "path", "message"),
    [
        ({"url": "https://x"}, "$.d.method", "method is required"),
        ({"method": "FETCH", "url": "https://x"}, "$.d.method", "method must be one of"),
        ({"method": "GET"}, "$.d", "needs a url"),
        ({"method": "GET", "url": "https://x", "path": "/y", "connectionName": "c"}, "$.d", "only one of"),
        ({"method": "GET", "path": "/y"}, "$.d.connectionName", "needs a connectionName"),
        ({"method": "GET", "url.$": "https://x/{{$.}}"}, '$.d["url.$"]', "not a valid JSONPath"),
        ({"method": "GET", "url": "https://x", "headers": [{"key": "A"}]}, "$.d.headers[0]", "exactly one"),
        ({"method": "GET", "url": "https://x", "headers": {"A": "b"}}, "$.d.headers", "must be an array"),
        (
            {"method": "POST", "url": "https://x", "requestBody": {"a.$": "States.Format('x')"}},
            '$.d.requestBody["a.$"]',
            "intrinsic",
        ),
        ({"method": "POST", "url": "https://x", "requestBody": {"a": "{{$.[}}"}}, "$.d.requestBody.a", "placeholder"),
        ({"method": "POST", "url": "https://x", "requestBody": {}, "requestBody.$": "$.b"}, "$.d", "not both"),
        ({"method": "GET", "url": "https://x", "timeout": 5}, "$.d.timeout", "unknown field"),
    ],
)
def test_bad_action_definitions_are_reported_at_their_path(definition: Any, path: str, message: str) -> None:
    found = definition_problems(definition)
    assert any(where == path and message in text for where, text in found), found


def test_a_url_with_a_connection_is_valid() -> None:
    assert definition_problems({"method": "GET", "connectionName": "oauth", "url": "https://x/{{$.t}}"}) == []


# ------------------------------------------------------------------ built-ins


def test_jq_runs_the_program_on_the_data() -> None:
    builtins = BuiltinActions()
    result = builtins.call(
        JQ, {"expr": ".ticket_event.ticket.id | tostring", "data": {"ticket_event": {"ticket": {"id": 7}}}}
    )
    assert result == "7"


def test_jq_without_output_gives_null() -> None:
    assert BuiltinActions().call(JQ, {"expr": "empty", "data": {}}) is None


@pytest.mark.parametrize(("expr", "message"), [(".a |", "syntax error"), ('error("nope")', "nope"), (5, "string")])
def test_jq_errors_are_action_errors(expr: Any, message: str) -> None:
    with pytest.raises(ActionError, match=message) as caught:
        BuiltinActions().call(JQ, {"expr": expr, "data": {}})
    assert caught.value.error == "States.Runtime"


def test_load_config_answers_the_config_under_config() -> None:
    builtins = BuiltinActions(MemoryConfigs({"my-integration:7/name": {"first": "Ann"}}))
    assert builtins.call(LOAD_CONFIG, {"scope": "my-integration:7/name"}) == {"config": {"first": "Ann"}}


def test_load_config_of_a_missing_scope_is_a_404_action_error() -> None:
    with pytest.raises(ActionError, match="not found") as caught:
        BuiltinActions(MemoryConfigs()).call(LOAD_CONFIG, {"scope": "nope"})
    assert caught.value.status == 404


def test_patch_config_merges_through_the_store() -> None:
    configs = MemoryConfigs({"s": {"a": 1, "b": 2}})
    result = BuiltinActions(configs).call(PATCH_CONFIG, {"scope": "s", "config": {"b": 3}})
    assert result == {}
    assert configs.configs["s"] == {"a": 1, "b": 3}


def test_config_actions_without_storage_are_action_errors() -> None:
    with pytest.raises(ActionError, match="not available"):
        BuiltinActions().call(LOAD_CONFIG, {"scope": "s"})


def test_builtins_say_which_names_they_handle() -> None:
    builtins = BuiltinActions()
    assert builtins.handles(JQ)
    assert builtins.handles(LOAD_CONFIG)
    assert not builtins.handles("zis:my_integration:action:post")
