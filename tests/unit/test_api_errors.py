"""hookyard.api: error bodies in both styles, validation messages, JSON-only requests,
and page sizes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from hookyard.api import (
    ErrorStyle,
    as_json_request,
    describe_validation_error,
    error_body,
    error_response,
    page_size,
    request_json,
)
from hookyard.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from hookyard.jsonlimits import MAX_DEPTH


def _event(headers: dict[str, str] | None) -> dict[str, Any]:
    return {"httpMethod": "POST", "path": "/api/admin/accounts", "headers": headers, "body": '{"name":"a"}'}


# ------------------------------------------------------------------ bodies


def test_zis_error_body_for_not_found_is_the_zis_shape_exactly() -> None:
    # When
    body = error_body(ErrorStyle.ZIS, NotFound())

    # Then
    assert body == {"errors": [{"code": "1110", "detail": "Not Found", "status": "404"}]}


def test_zis_error_body_lists_every_error_with_string_codes_and_statuses() -> None:
    # When
    body = error_body(ErrorStyle.ZIS, [BadRequest("name: too long"), BadRequest("size: too big")])

    # Then
    assert body == {
        "errors": [
            {"code": "1010", "detail": "name: too long", "status": "400"},
            {"code": "1010", "detail": "size: too big", "status": "400"},
        ]
    }


def test_v2_error_body_has_code_title_and_detail() -> None:
    # When
    body = error_body(ErrorStyle.V2, NotFound("no such account"))

    # Then
    assert body == {"errors": [{"code": "RecordNotFound", "title": "Not Found", "detail": "no such account"}]}


def test_error_response_answers_with_the_error_status_and_a_json_body() -> None:
    # When
    response = error_response(ErrorStyle.V2, Conflict("name taken"))

    # Then
    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == {"errors": [{"code": "Conflict", "title": "Conflict", "detail": "name taken"}]}


def test_error_response_for_service_unavailable_sets_retry_after() -> None:
    # When
    response = error_response(ErrorStyle.ZIS, ServiceUnavailable("busy", retry_after=7))

    # Then
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"


def test_error_response_for_other_errors_sets_no_retry_after() -> None:
    # When
    response = error_response(ErrorStyle.ZIS, NotFound())

    # Then
    assert "Retry-After" not in response.headers


def test_error_response_for_several_errors_takes_the_status_of_the_first() -> None:
    # When
    response = error_response(ErrorStyle.ZIS, [BadRequest("a: bad"), NotFound()])

    # Then
    assert response.status_code == 400
    assert len(json.loads(response.body)["errors"]) == 2


# ------------------------------------------------------------------ validation


def test_describe_validation_error_names_the_field() -> None:
    # Given
    error = {
        "loc": ("body", "event_type"),
        "msg": "String should have at most 128 characters",
        "type": "string_too_long",
    }

    # When
    message = describe_validation_error(error)

    # Then
    assert message == "event_type: String should have at most 128 characters"


def test_describe_validation_error_names_a_nested_field_with_dots() -> None:
    # Given
    error = {"loc": ("body", "headers", 0, "name"), "msg": "Field required", "type": "missing"}

    # When
    message = describe_validation_error(error)

    # Then
    assert message == "headers.0.name: Field required"


def test_describe_validation_error_says_an_unknown_field_is_not_known() -> None:
    # Given
    error = {"loc": ("body", "colour"), "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}

    # When
    message = describe_validation_error(error)

    # Then
    assert message == "colour: is not a known field"


def test_describe_validation_error_for_invalid_json_says_so() -> None:
    # Given
    error = {"loc": ("body", 3), "msg": "JSON decode error", "type": "json_invalid"}

    # When
    message = describe_validation_error(error)

    # Then
    assert message == "request body is not valid JSON"


def test_describe_validation_error_for_a_missing_body_says_the_body_is_required() -> None:
    # Given
    error = {"loc": ("body",), "msg": "Field required", "type": "missing"}

    # When
    message = describe_validation_error(error)

    # Then
    assert message == "request body is required"


# ------------------------------------------------------------------ JSON-only requests


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("CONTENT-TYPE", "Application/X-WWW-Form-Urlencoded"),
    ],
)
def test_as_json_request_reads_a_form_urlencoded_label_as_json(name: str, value: str) -> None:
    # Given
    event = _event({name: value, "Accept": "*/*"})

    # When
    result = as_json_request(event)

    # Then
    assert result["headers"] == {name: "application/json", "Accept": "*/*"}
    assert result["body"] == event["body"]


def test_as_json_request_does_not_change_the_callers_event() -> None:
    # Given
    event = _event({"Content-Type": "application/x-www-form-urlencoded"})

    # When
    as_json_request(event)

    # Then
    assert event["headers"] == {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {"Accept": "application/json"},
        None,
    ],
)
def test_as_json_request_leaves_other_requests_alone(headers: dict[str, str] | None) -> None:
    # Given
    event = _event(headers)

    # When
    result = as_json_request(event)

    # Then
    assert result == _event(headers)


# ------------------------------------------------------------------ paging


def test_page_size_defaults_to_100() -> None:
    # When / Then
    assert page_size(None, maximum=100) == 100


def test_page_size_default_never_exceeds_the_maximum() -> None:
    # When / Then
    assert page_size(None, maximum=25) == 25


@pytest.mark.parametrize("requested", [1, 50, 100])
def test_page_size_within_bounds_is_taken_as_asked(requested: int) -> None:
    # When / Then
    assert page_size(requested, maximum=100) == requested


@pytest.mark.parametrize("requested", [0, -1, 101])
def test_page_size_out_of_bounds_is_a_bad_request_naming_page_size(requested: int) -> None:
    # When / Then
    with pytest.raises(BadRequest, match=r"page\[size\]: must be between 1 and 100"):
        page_size(requested, maximum=100)


def test_as_json_request_decodes_a_base64_body_the_gateway_passed() -> None:
    event = {**_event({}), "body": base64.b64encode('{"name":"café"}'.encode()).decode(), "isBase64Encoded": True}

    result = as_json_request(event)

    assert (result["body"], result["isBase64Encoded"]) == ('{"name":"café"}', False)


def test_as_json_request_hands_a_body_that_is_not_utf8_on_as_text_that_is_not_json() -> None:
    encoded = base64.b64encode(b"\xff\xfe{").decode()
    event = {**_event({}), "body": encoded, "isBase64Encoded": True}

    result = as_json_request(event)

    assert (result["body"], result["isBase64Encoded"]) == (encoded, False)


# ------------------------------------------------------------------ request bodies


def test_request_json_parses_a_body_nested_to_the_limit() -> None:
    # Given
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH

    # When / Then
    assert request_json(text) == json.loads(text)


def test_request_json_refuses_a_body_nested_past_the_limit_as_a_bad_request() -> None:
    # When / Then
    with pytest.raises(BadRequest, match=rf"^request body nests .* the limit is {MAX_DEPTH} levels$"):
        request_json("[" * 10_000 + "]" * 10_000)


def test_request_json_leaves_text_that_is_not_json_to_the_resolvers_invalid_json_answer() -> None:
    # When / Then
    with pytest.raises(json.JSONDecodeError):
        request_json("{not json")
