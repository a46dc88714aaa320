"""hookyard.api.create_app's Swagger UI: built on its first request, and what Powertools'
own enable_swagger serves (the OpenAPI document and the page), first and later requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel

from hookyard.api import DocumentedResolver, ErrorStyle, create_app, request_json, swagger_options
from tests.conftest import load_event

TITLE, DESCRIPTION, PATH = "Hookyard operator API", "Accounts and API tokens.", "/api/admin/swagger"


class Thing(BaseModel):
    name: str


def add_routes(app: APIGatewayRestResolver) -> None:
    @app.get("/api/admin/things/<thing_id>")
    def show(thing_id: int) -> Thing:
        return Thing(name=str(thing_id))

    @app.post("/api/admin/things")
    def create(body: Thing) -> Thing:
        return body


def hookyard_app() -> APIGatewayRestResolver:
    app = create_app(title=TITLE, description=DESCRIPTION, swagger_path=PATH, style=ErrorStyle.V2, logger=Logger())
    add_routes(app)
    return app


def powertools_app() -> APIGatewayRestResolver:
    """The same app with Swagger enabled as Powertools documents it, at init."""
    app = DocumentedResolver(style=ErrorStyle.V2, enable_validation=True, json_body_deserializer=request_json)
    app.enable_swagger(path=PATH, **swagger_options(TITLE, DESCRIPTION, {}))
    add_routes(app)
    return app


def swagger(app: APIGatewayRestResolver, query: dict[str, str] | None) -> dict[str, Any]:
    event = load_event("accounts_api/swagger.json")
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()} or None
    return app.resolve(event, None)


@pytest.mark.parametrize("query", [{"format": "json"}, None, {"format": "oauth2-redirect"}])
def test_swagger_answers_what_powertools_enable_swagger_answers(query: dict[str, str] | None) -> None:
    # Given
    ours, theirs = hookyard_app(), powertools_app()

    # When
    first, second, expected = swagger(ours, query), swagger(ours, query), swagger(theirs, query)

    # Then
    assert first["statusCode"] == 200
    assert first == expected
    assert second == expected


def test_the_openapi_document_names_both_security_schemes() -> None:
    # When
    document = json.loads(swagger(hookyard_app(), {"format": "json"})["body"])

    # Then
    assert document["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "API token"},
        "basicAuth": {
            "type": "http",
            "scheme": "basic",
            "description": "As Zendesk: user `{email}/token` (not checked), password the API token",
        },
    }
    assert document["security"] == [{"bearerAuth": []}, {"basicAuth": []}]
    assert set(document["paths"]) == {"/api/admin/things/{thing_id}", "/api/admin/things"}
