"""Trigger conditions (the one evaluator the router uses), Liquid bodies and request encoding."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookyard.errors import BadRequest
from hookyard.webhooks.bodies import (
    RenderedRequest,
    RenderError,
    encode_request,
    render_request,
    url_with_query,
    validate_template,
)
from hookyard.webhooks.payload import build_payload
from hookyard.webhooks.triggers import evaluate, resolve
from tests.conftest import load_event

BODY: dict[str, Any] = {
    "ticket": {
        "id": 35436,
        "status": "open",
        "priority": "urgent",
        "title": 'Printer "Bob" on fire',
        "tags": ["vip", "printer"],
        "score": 7.5,
        "comments": [{"author": "ann"}, {"author": "bob"}],
        "assignee": None,
        "requester": {"name": "Sam", "email": "sam@example.com"},
        "empty": [],
        "flag": True,
    },
    "priority": "high",
    "type": "incident",
}
DETAIL: dict[str, Any] = {
    "account_id": 1,
    "integration": "acme",
    "webhook_uuid": "d339ba7f",
    "event_id": "01JD5W3S7Y1Q9M8K4T6R2N0B3C",
    "received_at": "2026-11-23T09:30:00.123Z",
    "source_system": "slack",
    "event_type": "ticket.NewReply",
    "content_type": "application/json",
    "headers": {},
    "body": BODY,
}
PAYLOAD = build_payload(DETAIL)


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def all_of(*conditions: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"all": list(conditions), "any": []}


def any_of(*conditions: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"all": [], "any": list(conditions)}


# ------------------------------------------------------------------ fields


@pytest.mark.parametrize(
    ("field", "found"),
    [
        ("ticket.status", ["open"]),  # a body field, as Zendesk placeholders name it
        ("detail.ticket.status", ["open"]),  # the same, through the payload
        ("priority", ["high"]),
        ("type", ["slack:event-type:ticket.NewReply"]),  # payload fields come first
        ("detail.type", ["incident"]),  # ... and the body's stays reachable
        ("account_id", [1]),
        ("event.meta.integration", ["acme"]),
        ("ticket.comments.author", ["ann", "bob"]),  # every element of a list
        ("ticket.tags.1", ["printer"]),  # a list index
        ("ticket.requester.name", ["Sam"]),
        ("ticket.nothing", []),
        ("nothing.at.all", []),
    ],
)
def test_a_field_resolves_against_the_payload_then_the_body(field: str, found: list[Any]) -> None:
    assert resolve(PAYLOAD, field) == found


# ------------------------------------------------------------------ operators


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (cond("ticket.status", "is", "open"), True),
        (cond("ticket.status", "is", "Open"), False),
        (cond("ticket.id", "is", 35436), True),
        (cond("ticket.id", "is", "35436"), False),  # JSON equality: a string is not a number
        (cond("ticket.flag", "is", True), True),
        (cond("ticket.flag", "is", 1), False),  # ... nor is a boolean
        (cond("ticket.assignee", "is", None), True),
        (cond("ticket.tags", "is", "vip"), True),  # a list matches when an element does
        (cond("ticket.status", "is_not", "solved"), True),
        (cond("ticket.status", "is_not", "open"), False),
        (cond("ticket.missing", "is_not", "open"), False),  # as anything-but: needs the field
        (cond("ticket.title", "includes", "on fire"), True),
        (cond("ticket.title", "includes", "water"), False),
        (cond("ticket.tags", "includes", "vip"), True),  # a list contains the element
        (cond("ticket.tags", "includes", "vi"), False),  # ... not a part of one
        (cond("ticket.title", "not_includes", "water"), True),
        (cond("ticket.tags", "not_includes", "vip"), False),
        (cond("ticket.missing", "not_includes", "x"), True),
        (cond("ticket.score", "greater_than", 7), True),
        (cond("ticket.score", "greater_than", "7.5"), False),
        (cond("ticket.score", "less_than", "8"), True),  # a numeric string as the bound
        (cond("ticket.status", "greater_than", 1), False),  # strings are not numbers
        (cond("ticket.flag", "greater_than", 0), False),  # ... nor are booleans
        (cond("ticket.status", "present"), True),
        (cond("ticket.assignee", "present"), True),  # null is a value
        (cond("ticket.tags", "present"), True),
        (cond("ticket.empty", "present"), False),  # an empty list has no value
        (cond("ticket.requester", "present"), False),  # an object is not a value
        (cond("ticket.missing", "present"), False),
        (cond("ticket.missing", "not_present"), True),
        (cond("ticket.status", "not_present"), False),
    ],
)
def test_each_operator_compares_as_documented(condition: dict[str, Any], holds: bool) -> None:
    assert evaluate(all_of(condition), PAYLOAD) is holds


def test_all_conditions_must_hold() -> None:
    conditions = all_of(cond("ticket.status", "is", "open"), cond("priority", "is", "low"))

    assert evaluate(conditions, PAYLOAD) is False


def test_one_any_condition_is_enough_and_none_fails() -> None:
    one = any_of(cond("ticket.status", "is", "new"), cond("ticket.status", "is", "open"))
    none = any_of(cond("ticket.status", "is", "new"), cond("ticket.status", "is", "solved"))

    assert evaluate(one, PAYLOAD) is True
    assert evaluate(none, PAYLOAD) is False


def test_all_and_any_together_need_every_all_and_one_any() -> None:
    conditions = {
        "all": [cond("ticket.priority", "is", "urgent")],
        "any": [cond("ticket.status", "is", "new"), cond("ticket.tags", "includes", "vip")],
    }

    assert evaluate(conditions, PAYLOAD) is True


@pytest.mark.parametrize("conditions", [None, {}, {"all": [], "any": []}])
def test_no_conditions_hold_for_every_event(conditions: dict[str, Any] | None) -> None:
    assert evaluate(conditions, PAYLOAD) is True


@pytest.mark.parametrize(
    ("conditions", "named"),
    [
        (all_of(cond("status", "changed", None)), "conditions.all[0].operator: 'changed' is not supported"),
        (any_of(cond("status", "is", "a"), cond("", "is", "a")), "conditions.any[1].field"),
        (all_of(cond("ticket..status", "is", "a")), "conditions.all[0].field"),
        (all_of(cond("score", "greater_than", "high")), "conditions.all[0].value: expected a number"),
        (all_of(cond("status", "is", ["a", "b"])), "conditions.all[0].value: expected a string, number"),
        (all_of(cond("tags", "includes", None)), "conditions.all[0].value"),
        ({"none": []}, "conditions: unknown key 'none'"),
        ({"all": "status is open"}, "conditions.all: expected a list"),
        ({"all": ["status is open"]}, "conditions.all[0]: expected an object"),
        ({"all": [{"field": "a", "operator": "is", "value": 1, "extra": 2}]}, "conditions.all[0]: unknown key"),
    ],
)
def test_malformed_conditions_are_refused_naming_the_condition(conditions: dict[str, Any], named: str) -> None:
    with pytest.raises(BadRequest) as caught:
        evaluate(conditions, PAYLOAD)

    assert named in caught.value.detail


# ------------------------------------------------------------------ Liquid


ZENDESK_STYLE_BODY = """{
  "ticket_id": "{{ticket.id}}",
  "subject": {{ ticket.title | json }},
  "status": "{{ticket.status}}",
  "tags": {{ ticket.tags | json }},
  "requester": {"name": "{{ticket.requester.name}}", "email": "{{ticket.requester.email}}"},
  "assignee": "{{ticket.assignee.name}}",
  "event": "{{type}}",
  "body_type": "{{detail.type}}"
}"""


def test_a_valid_template_passes_validation() -> None:
    validate_template(ZENDESK_STYLE_BODY)
    validate_template("{% for tag in ticket.tags %}{{ tag | upcase }} {% endfor %}")


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{% if %}", "body: Liquid syntax error at line 1, column 4: missing expression"),
        ('{"a": "{{ ticket.id }"}', "body: Liquid syntax error"),
        ("{% for x in y %}no end", "body: Liquid syntax error"),
        ("line one\n  {{ ticket.id | shout }}", "body: unknown Liquid filter 'shout' at line 2, column 18"),
        ("{% include 'other' %}", "body: the Liquid 'include' tag is not supported"),
        ("{% render 'other' %}", "body: the Liquid 'render' tag is not supported"),
        ("x" * 256 * 1024, "body: must be less than 256 KB"),
    ],
)
def test_an_invalid_template_is_refused_at_save_time_naming_the_problem(template: str, problem: str) -> None:
    with pytest.raises(BadRequest) as caught:
        validate_template(template)

    assert caught.value.detail.startswith(problem)


def test_validation_names_the_field_it_is_given() -> None:
    with pytest.raises(BadRequest, match=r"^actions\[0\]\.value: Liquid syntax error"):
        validate_template("{% if %}", field="actions[0].value")


def test_placeholders_resolve_against_the_body_and_the_payload_and_unknown_ones_render_empty() -> None:
    rendered = render_request(ZENDESK_STYLE_BODY, PAYLOAD, "json", "POST")

    assert rendered.content_type == "application/json"
    assert rendered.body is not None
    assert json.loads(rendered.body) == {
        "ticket_id": "35436",
        "subject": 'Printer "Bob" on fire',
        "status": "open",
        "tags": ["vip", "printer"],
        "requester": {"name": "Sam", "email": "sam@example.com"},
        "assignee": "",
        "event": "slack:event-type:ticket.NewReply",
        "body_type": "incident",
    }


def docs_json_body() -> str:
    """The custom JSON payload of Zendesk's docs (zendesk-webhook-payload-format),
    verbatim, as events/webhooks_api/create_trigger_docs_payload.json sends it."""
    trigger = json.loads(load_event("webhooks_api/create_trigger_docs_payload.json")["body"])["trigger"]
    return str(trigger["actions"][0]["value"][1])


AWKWARD = 'Printer "Bob" said \\o/\nthen\tstopped \u2028 \u0007 \U0001f525'


def payload_with(**ticket: Any) -> dict[str, Any]:
    return build_payload({**DETAIL, "body": {**BODY, "ticket": {**BODY["ticket"], **ticket}}})


def test_the_docs_json_body_renders_valid_json_for_quotes_backslashes_and_newlines() -> None:
    rendered = render_request(docs_json_body(), payload_with(description=AWKWARD), "json", "POST")

    assert rendered.body is not None
    sent = json.loads(rendered.body)
    assert sent["subject"] == 'Printer "Bob" on fire'
    assert sent["description"] == AWKWARD
    assert sent["ticket_id"] == "35436"
    assert sent["tags"] == "vipprinter"  # a list placeholder renders as Liquid renders it


def test_a_lone_surrogate_in_a_json_string_is_escaped_so_the_body_encodes() -> None:
    rendered = render_request('{"subject": "{{ticket.title}}"}', payload_with(title="half \ud83d"), "json", "POST")

    assert rendered.body is not None
    assert rendered.body.encode() == b'{"subject": "half \\ud83d"}'


def test_placeholders_used_as_bare_json_values_are_written_as_they_are() -> None:
    template = (
        '{"id": {{ticket.id}}, "score": {{ ticket.score }}, "title": {{ ticket.title | json }}, "ok": {{ticket.flag}}}'
    )

    rendered = render_request(template, PAYLOAD, "json", "PUT")

    assert rendered.body is not None
    assert json.loads(rendered.body) == {"id": 35436, "score": 7.5, "title": 'Printer "Bob" on fire', "ok": True}


def test_only_placeholders_inside_json_strings_are_escaped_whatever_the_liquid_around_them() -> None:
    template = (
        '{"tags": [{% for tag in ticket.tags %}"{{ tag | append: \'"\' }}"{% unless forloop.last %}, {% endunless %}'
        '{% endfor %}], "escaped\\\\": {{ticket.id}}, "quoted \\"{{ticket.title}}\\"": 1,'
        '{% capture said %}{{ ticket.title }}{% endcapture %} "said": "{{ said }}",'
        '{% if ticket.status == "open" %} "open": "{% echo ticket.title %}"{% else %} "open": false{% endif %}}'
    )

    rendered = render_request(template, PAYLOAD, "json", "POST")

    assert rendered.body is not None
    assert json.loads(rendered.body) == {
        "tags": ['vip"', 'printer"'],
        "escaped\\": 35436,
        'quoted "Printer "Bob" on fire"': 1,
        "said": 'Printer "Bob" on fire',
        "open": 'Printer "Bob" on fire',
    }


def test_an_xml_body_gets_its_placeholders_as_they_are() -> None:
    # Zendesk documents JSON escaping only; XML bodies often wrap text in CDATA, which
    # escaping would corrupt.
    rendered = render_request("<t><![CDATA[{{ticket.title}}]]></t>", PAYLOAD, "xml", "POST")

    assert rendered.body == '<t><![CDATA[Printer "Bob" on fire]]></t>'


def test_a_template_that_renders_too_much_is_stopped() -> None:
    template = "{% for i in (1..100000) %}" + "x" * 64 + "{% endfor %}"

    with pytest.raises(RenderError, match="cannot be rendered"):
        render_request(template, PAYLOAD, "xml", "POST")


# ------------------------------------------------------------------ encoding


def test_a_json_body_is_sent_as_rendered() -> None:
    text = '{\n  "a": 1\n}'

    assert encode_request(text, "json", "PUT") == RenderedRequest(body=text, content_type="application/json")


@pytest.mark.parametrize("text", ["{", "not json", '{"a": NaN}', '{"a": 1} trailing'])
def test_a_json_body_that_is_not_json_is_a_clear_error(text: str) -> None:
    with pytest.raises(RenderError, match="body: the rendered body is not valid JSON"):
        encode_request(text, "json", "POST")


def test_an_xml_body_is_sent_as_is() -> None:
    text = "<ticket><id>1</id></ticket>"

    assert encode_request(text, "xml", "PATCH") == RenderedRequest(body=text, content_type="application/xml")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("request_format", ["json", "xml", "form_encoded"])
def test_a_blank_rendering_sends_no_body(method: str, request_format: str) -> None:
    assert encode_request(" \n ", request_format, method) == RenderedRequest(body=None, content_type=None)


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ('{"name": "Sam Smith", "n": 5, "ok": true, "none": null}', "name=Sam+Smith&n=5&ok=true&none="),
        ('{"tag": ["a", "b"]}', "tag=a&tag=b"),
        ('{"obj": {"a": 1}}', "obj=%7B%22a%22%3A1%7D"),
        ('[["a", "1"], ["a", "2"], ["b", "x&y"]]', "a=1&a=2&b=x%26y"),
        ("a=1&b=two words&c=", "a=1&b=two+words&c="),
        ("?a=%2B1", "a=%2B1"),
    ],
)
def test_form_encoded_parameters_are_urlencoded_into_the_body(text: str, encoded: str) -> None:
    expected = RenderedRequest(body=encoded, content_type="application/x-www-form-urlencoded")

    assert encode_request(text, "form_encoded", "POST") == expected


@pytest.mark.parametrize("text", ['{"a": ', "[1, 2]", '[["a"]]', '[[1, "a"]]'])
def test_parameters_that_are_neither_an_object_pairs_nor_a_query_string_are_a_clear_error(text: str) -> None:
    with pytest.raises(RenderError, match="body: "):
        encode_request(text, "form_encoded", "POST")


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("request_format", ["json", "xml", "form_encoded"])
def test_get_and_delete_send_the_parameters_in_the_query_string_and_no_body(method: str, request_format: str) -> None:
    rendered = render_request('{"ticket": "{{ticket.id}}", "q": "a b#c"}', PAYLOAD, request_format, method)

    assert rendered == RenderedRequest(body=None, content_type=None, query="ticket=35436&q=a+b%23c")


def test_a_rendered_body_of_256_kb_or_more_is_refused() -> None:
    with pytest.raises(RenderError, match="less than 256 KB"):
        encode_request('"' + "x" * (256 * 1024) + '"', "json", "POST")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h.example/hook", "https://h.example/hook?a=1"),
        ("https://h.example/hook?k=v", "https://h.example/hook?k=v&a=1"),
        ("https://h.example/hook?", "https://h.example/hook?a=1"),
        ("https://h.example/hook#frag", "https://h.example/hook?a=1#frag"),
    ],
)
def test_parameters_are_appended_to_the_endpoints_own_query(url: str, expected: str) -> None:
    assert url_with_query(url, "a=1") == expected
    assert url_with_query(url, "") == url
