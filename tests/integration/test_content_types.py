"""The media type of a management request's body, through the real handlers: the APIs
take JSON (however its media type is cased; `curl -d`'s form label is read as JSON), and
any other body is a 415 in the API's error body naming what was sent, never a 5xx."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EVENTS
from tests.integration.conftest import body, invoke, load_event

pytestmark = pytest.mark.usefixtures("aws_env")

V2_FUNCTIONS = {"accounts_api", "webhooks_api"}  # the others answer in the ZIS envelope


def _management_events_with_a_body() -> list[str]:
    return [
        f"{path.parent.name}/{path.name}"
        for path in sorted(EVENTS.glob("*/*.json"))
        if path.parent.name not in ("ingest", "authorizer") and json.loads(path.read_text()).get("body")
    ]


def management(event_name: str, event: dict[str, Any]) -> dict[str, Any]:
    function = Path(event_name).parent.name
    handler = importlib.import_module(f"{function}.handler").lambda_handler
    return invoke(handler, event, function)


def with_content_type(event: dict[str, Any], value: str) -> dict[str, Any]:
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    event["headers"] = {**headers, "Content-Type": value}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return event


@pytest.mark.parametrize(
    "media_type",
    ["text/plain", "application/xml; charset=utf-8", "multipart/form-data", "multipart/form-data; boundary=x"],
)
@pytest.mark.parametrize("event_name", _management_events_with_a_body())
def test_a_body_that_is_not_json_answers_415_naming_its_media_type(event_name: str, media_type: str) -> None:
    # Given
    event = with_content_type(load_event(event_name), media_type)

    # When
    response = management(event_name, event)

    # Then
    assert response["statusCode"] == 415
    (error,) = body(response)["errors"]
    if Path(event_name).parent.name in V2_FUNCTIONS:
        assert (error["code"], error["title"]) == ("UnsupportedMediaType", "Unsupported Media Type")
    else:
        assert (error["code"], error["status"]) == ("1015", "415")
    assert media_type.split(";")[0] in error["detail"]
    assert "application/json" in error["detail"]


@pytest.mark.parametrize("media_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8"])
def test_a_json_media_type_in_capitals_is_json(media_type: str) -> None:
    # Given
    event = with_content_type(load_event("registry_api/create_integration.json"), media_type)

    # When
    response = management("registry_api/create_integration.json", event)

    # Then
    assert response["statusCode"] == 201, response["body"]
