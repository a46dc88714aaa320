"""The OpenAPI documents each API serves at its swagger path, as a client reads them:
the statuses and bodies they promise are the ones the API answers with. (The e2e
schemathesis run holds the running stack to these documents.)"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from hookyard.api import TAGS, ErrorStyle, error_body
from hookyard.errors import BadRequest, NotFound
from hookyard.models.common import V2Errors, ZisErrors
from tests.integration.conftest import body, invoke, load_event

APIS = ("accounts_api", "inbound_webhooks_api", "registry_api", "webhooks_api")
ENVELOPES = {
    "accounts_api": "V2Errors",
    "inbound_webhooks_api": "ZisErrors",
    "registry_api": "ZisErrors",
    "webhooks_api": "V2Errors",
}
INGEST = "/api/services/zis/inbound_webhooks/generic/ingest/{token}"
ZENDESK_INGEST = "/api/services/zis/inbound_webhooks/zendesk/ingest/{token}"
SERVED_BY_INGEST = {INGEST, ZENDESK_INGEST}  # documented as ingest answers
METHODS = {"get", "put", "post", "delete", "patch"}


@functools.cache
def served(api: str) -> dict[str, Any]:
    """The document as the API serves it (no AWS call is involved); read once per API."""
    handler = importlib.import_module(f"{api}.handler").lambda_handler
    response = invoke(handler, load_event(f"{api}/swagger.json"))
    assert response["statusCode"] == 200
    document: dict[str, Any] = body(response)
    return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def answer(document: dict[str, Any], operation: dict[str, Any], status: str) -> dict[str, Any]:
    """The operation's documented answer for `status`, its reference followed."""
    response: dict[str, Any] = operation["responses"][status]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def body_schema(response: dict[str, Any]) -> Any:
    return response["content"]["application/json"]["schema"]


@pytest.fixture(scope="module", params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_no_operation_promises_the_422_the_api_never_answers(api: str) -> None:
    # When
    document = served(api)

    # Then
    assert [(m, p) for m, p, op in operations(document) if "422" in op["responses"]] == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_every_reference_in_the_document_points_at_something_it_holds(api: str) -> None:
    # When
    document = served(api)

    # Then
    dangling = []
    for reference in set(_references(document)):
        node: Any = document
        for part in reference.removeprefix("#/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            dangling.append(reference)
    assert dangling == []


def test_validation_errors_are_documented_as_400_in_the_apis_error_body(api: str) -> None:
    # When
    document = served(api)

    # Then every operation that takes input says a refusal is a 400 in the API's envelope
    taking_input = [(m, p, op) for m, p, op in operations(document) if op.get("parameters") or op.get("requestBody")]
    assert taking_input
    for _, path, operation in taking_input:
        refusal = answer(document, operation, "400")
        assert body_schema(refusal) == {"$ref": f"#/components/schemas/{ENVELOPES[api]}"}, path


def test_every_error_of_an_api_route_is_documented_with_the_apis_error_body(api: str) -> None:
    # When
    document = served(api)

    # Then
    for method, path, operation in operations(document):
        if path == INGEST:
            continue  # served by ingest, documented as ingest answers
        for status in operation["responses"]:
            if int(status) >= 400 and status != "429":
                assert body_schema(answer(document, operation, status)) == {
                    "$ref": f"#/components/schemas/{ENVELOPES[api]}"
                }, (method, path, status)


def test_authenticated_routes_document_401_403_and_503_with_retry_after(api: str) -> None:
    # When
    document = served(api)

    # Then
    for method, path, operation in operations(document):
        if operation.get("security") == [] or path in SERVED_BY_INGEST:
            continue
        assert {"401", "403", "503"} <= set(operation["responses"]), (method, path)
        assert "Retry-After" in answer(document, operation, "503")["headers"], (method, path)


def test_routes_that_take_a_body_document_415_for_one_that_is_not_json(api: str) -> None:
    # When
    document = served(api)

    # Then
    with_body = [(m, p, op) for m, p, op in operations(document) if "requestBody" in op and p not in SERVED_BY_INGEST]
    assert with_body
    for method, path, operation in with_body:
        assert body_schema(answer(document, operation, "415")) == {"$ref": f"#/components/schemas/{ENVELOPES[api]}"}, (
            method,
            path,
        )


def test_routes_with_a_path_parameter_document_404(api: str) -> None:
    # When
    document = served(api)

    # Then
    for method, path, operation in operations(document):
        if "{" in path and path not in SERVED_BY_INGEST:
            assert "404" in operation["responses"], (method, path)


def test_the_error_body_an_api_answers_is_the_one_its_document_names() -> None:
    # Given one refusal with two problems
    problems = [BadRequest("name: too long"), NotFound()]

    # When
    zis, v2 = error_body(ErrorStyle.ZIS, problems), error_body(ErrorStyle.V2, problems)

    # Then each body is its model, field for field
    assert ZisErrors.model_validate(zis).model_dump() == zis
    assert V2Errors.model_validate(v2).model_dump() == v2


def test_health_is_documented_without_a_lock() -> None:
    # When
    health = served("accounts_api")["paths"]["/api/health"]["get"]

    # Then
    assert health["security"] == []
    assert not {"401", "403"} & set(health["responses"])


def test_routes_behind_the_authorizer_keep_the_apis_lock() -> None:
    # When
    document = served("accounts_api")

    # Then
    assert document["security"] == [{"bearerAuth": []}, {"basicAuth": []}]
    assert "security" not in document["paths"]["/api/admin/accounts"]["get"]


def test_answers_without_a_body_are_documented_without_one(api: str) -> None:
    # When
    document = served(api)

    # Then
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status == "204":
                assert "content" not in response, (method, path)


def test_the_bodiless_200s_of_bundle_upload_and_install_have_no_body() -> None:
    # When
    paths = served("registry_api")["paths"]

    # Then
    assert "content" not in paths["/api/services/zis/registry/{integration}/bundles"]["post"]["responses"]["200"]
    assert "content" not in paths["/api/services/zis/registry/job_specs/install"]["post"]["responses"]["200"]


def test_a_declared_conflict_keeps_its_reason_and_gets_the_error_body() -> None:
    # When
    create = served("registry_api")["paths"]["/api/services/zis/registry/{integration}"]["post"]

    # Then
    conflict = create["responses"]["409"]
    assert conflict["description"] == "The account has an integration of that name"
    assert body_schema(conflict) == {"$ref": "#/components/schemas/ZisErrors"}


def test_every_operation_has_a_summary_and_one_resource_tag(api: str) -> None:
    # When
    document = served(api)

    # Then
    for method, path, operation in operations(document):
        assert operation["summary"] != f"{method} {path}", (method, path)  # Powertools' default
        assert len(operation.get("tags", [])) == 1, (method, path)
        assert operation["tags"][0] in TAGS, (method, path)


def test_the_document_describes_the_tags_it_uses_in_order(api: str) -> None:
    # When
    document = served(api)

    # Then
    used = {tag for _, _, operation in operations(document) for tag in operation["tags"]}
    assert document["tags"] == [{"name": name, "description": TAGS[name]} for name in TAGS if name in used]


def test_a_handlers_docstring_is_its_operations_description() -> None:
    # When
    test = served("webhooks_api")["paths"]["/api/v2/webhooks/test"]["post"]

    # Then
    assert test["description"].startswith("Send one live request, as Zendesk's Test Webhook")


def test_the_inbound_webhooks_document_describes_ingest_as_ingest_answers() -> None:
    # When
    document = served("inbound_webhooks_api")
    post, get = document["paths"][INGEST]["post"], document["paths"][INGEST]["get"]

    # Then the POST: 200 null, the bare 401 string with WWW-Authenticate, envelopes, Retry-After
    assert body_schema(post["responses"]["200"]) == {"type": "null"}
    assert body_schema(post["responses"]["401"]) == {"type": "string", "const": "Authentication failed"}
    assert "WWW-Authenticate" in post["responses"]["401"]["headers"]
    for status in ("400", "413", "415", "503"):
        assert body_schema(post["responses"][status]) == {"$ref": "#/components/schemas/ZisErrors"}
    assert "Retry-After" in post["responses"]["503"]["headers"]
    assert post["security"] == [{"inboundWebhookAuth": []}]
    assert document["components"]["securitySchemes"]["inboundWebhookAuth"]["scheme"] == "basic"
    # and the verification GET: the challenge as text, no lock
    assert set(get["responses"]["200"]["content"]) == {"text/plain"}
    assert get["security"] == []


def test_the_documented_challenge_limit_is_the_one_ingest_enforces() -> None:
    # Given
    from ingest.logic import MAX_CHALLENGE

    # When
    get = served("inbound_webhooks_api")["paths"][INGEST]["get"]

    # Then
    challenge = next(p for p in get["parameters"] if p["name"] == "challenge")
    assert challenge["schema"]["maxLength"] == MAX_CHALLENGE
