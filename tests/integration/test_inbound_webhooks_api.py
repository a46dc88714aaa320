"""ZIS inbound webhooks API through its real handler on moto (tables from template.yaml)."""

from __future__ import annotations

import re
import uuid as uuidlib
from typing import Any

import pytest

from hookyard.secrets import sha256_hex
from tests.integration.conftest import body, invoke, load_event, with_path, with_query

pytestmark = pytest.mark.usefixtures("aws_env")

ZIS_NOT_FOUND = {"errors": [{"code": "1110", "detail": "Not Found", "status": "404"}]}


def handler() -> Any:
    from inbound_webhooks_api.handler import lambda_handler

    return lambda_handler


def as_account(event: dict[str, Any], account_id: int) -> dict[str, Any]:
    event["requestContext"]["authorizer"]["account_id"] = str(account_id)
    return event


def create(account_id: int = 1, integration: str = "my_integration", **fields: Any) -> dict[str, Any]:
    event = as_account(load_event("inbound_webhooks_api/create.json"), account_id)
    with_path(event, integration=integration)
    if fields:
        import json

        event["body"] = json.dumps(fields)
    response = invoke(handler(), event)
    assert response["statusCode"] == 201, response
    return body(response)  # type: ignore[no-any-return]


def at(name: str, webhook: dict[str, Any], account_id: int = 1) -> dict[str, Any]:
    event = as_account(load_event(f"inbound_webhooks_api/{name}.json"), account_id)
    return with_path(event, integration=webhook["integration"], uuid=webhook["uuid"])


def test_create_answers_201_with_exactly_the_reference_fields() -> None:
    created = create()

    assert sorted(created) == sorted(
        [
            "event_type",
            "id",
            "integration",
            "password",
            "path",
            "source_system",
            "username",
            "uuid",
            "zendesk_account_id",
        ]
    )
    assert created["event_type"] == "ticket.NewReply"
    assert created["source_system"] == "slack"
    assert created["integration"] == "my_integration"
    assert created["zendesk_account_id"] == 1
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", created["id"])  # ULID
    assert uuidlib.UUID(created["uuid"]).version == 4
    token = created["path"].removeprefix("/api/services/zis/inbound_webhooks/generic/ingest/")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 bits, URL-safe
    assert len(created["username"]) == 16
    assert len(created["password"]) >= 32


def test_create_stores_only_the_password_hash() -> None:
    import boto3

    created = create()

    items = boto3.client("dynamodb").scan(TableName="ConfigTable")["Items"]
    stored = str(items)
    assert created["password"] not in stored
    assert sha256_hex(created["password"]) in stored


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"source_system": "slack"}, "event_type"),
        ({"event_type": "ticket.NewReply"}, "source_system"),
        ({"event_type": "", "source_system": "slack"}, "event_type"),
        ({"event_type": "x" * 129, "source_system": "slack"}, "event_type"),
        ({"event_type": "t", "source_system": "aws.partner"}, "source_system"),
        ({"event_type": "zen:event-type:ticket.created", "source_system": "support"}, "event_type"),
        ({"event_type": "t", "source_system": "a:event-type:b"}, "source_system"),
        ({"event_type": "t", "source_system": "s", "colour": "red"}, "colour"),
    ],
)
def test_create_with_bad_fields_answers_400_naming_the_field(fields: dict[str, Any], named: str) -> None:
    import json

    event = load_event("inbound_webhooks_api/create.json")
    event["body"] = json.dumps(fields)

    response = invoke(handler(), event)

    assert response["statusCode"] == 400
    errors = body(response)["errors"]
    assert all(e["code"] == "1010" and e["status"] == "400" for e in errors)
    assert any(named in e["detail"] for e in errors), errors


def test_create_with_a_body_that_is_not_json_answers_400() -> None:
    event = load_event("inbound_webhooks_api/create.json")
    event["body"] = '{"event_type": '

    response = invoke(handler(), event)

    assert response["statusCode"] == 400
    assert "not valid JSON" in body(response)["errors"][0]["detail"]


def test_create_with_a_reserved_or_invalid_integration_name_answers_400() -> None:
    for name in ("ingest", "Has Spaces", "x" * 65):
        event = with_path(load_event("inbound_webhooks_api/create.json"), integration=name)

        response = invoke(handler(), event)

        assert response["statusCode"] == 400, name


def test_create_from_the_events_file_with_missing_fields_answers_400() -> None:
    response = invoke(handler(), load_event("inbound_webhooks_api/create_missing_fields.json"))

    assert response["statusCode"] == 400


def test_show_answers_200_with_the_same_fields_and_a_null_password() -> None:
    created = create()

    response = invoke(handler(), at("show", created))

    assert response["statusCode"] == 200
    assert body(response) == {**created, "password": None}


def test_show_of_an_unknown_uuid_answers_the_zis_404() -> None:
    response = invoke(handler(), load_event("inbound_webhooks_api/show.json"))

    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND


def test_show_of_another_accounts_webhook_answers_404() -> None:
    created = create(account_id=1)

    response = invoke(handler(), at("show", created, account_id=2))

    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND


def test_show_under_another_integration_answers_404() -> None:
    created = create(integration="one")

    response = invoke(handler(), at("show", {**created, "integration": "two"}))

    assert response["statusCode"] == 404


def test_list_pages_through_an_integrations_webhooks_only() -> None:
    mine = {create()["uuid"] for _ in range(5)}
    create(integration="other")
    create(account_id=2)
    seen: list[str] = []
    after = None
    pages = 0

    while True:
        query = {"page[size]": "2", **({"page[after]": after} if after else {})}
        event = with_query(load_event("inbound_webhooks_api/list.json"), query)
        response = invoke(handler(), event)
        assert response["statusCode"] == 200
        page = body(response)
        seen += [w["uuid"] for w in page["inbound_webhooks"]]
        assert all(w["password"] is None for w in page["inbound_webhooks"])
        pages += 1
        if not page["meta"]["has_more"]:
            break
        after = page["meta"]["after"]

    assert sorted(seen) == sorted(mine)
    assert pages == 3


@pytest.mark.parametrize("query", [{"page[size]": "0"}, {"page[size]": "101"}, {"page[after]": "not-a-cursor"}])
def test_list_with_a_bad_page_parameter_answers_400(query: dict[str, str]) -> None:
    event = with_query(load_event("inbound_webhooks_api/list.json"), query)

    response = invoke(handler(), event)

    assert response["statusCode"] == 400


def test_delete_answers_204_and_the_webhook_is_gone() -> None:
    created = create()

    deleted = invoke(handler(), at("delete", created))
    shown = invoke(handler(), at("show", created))

    assert deleted["statusCode"] == 204
    assert deleted["body"] == ""
    assert shown["statusCode"] == 404


def test_delete_of_another_accounts_webhook_answers_404_and_keeps_it() -> None:
    created = create(account_id=1)

    response = invoke(handler(), at("delete", created, account_id=2))

    assert response["statusCode"] == 404
    assert invoke(handler(), at("show", created))["statusCode"] == 200


def test_a_delete_while_storage_is_busy_answers_503_and_keeps_the_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    from hookyard import aws

    created = create()
    client = aws.dynamodb()

    def busy(**_: Any) -> None:
        reasons = [{"Code": "None"}, {"Code": "ThrottlingError"}]
        error = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}
        raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]

    monkeypatch.setattr(client, "transact_write_items", busy)
    response = invoke(handler(), at("delete", created))
    monkeypatch.undo()

    assert response["statusCode"] == 503
    assert invoke(handler(), at("show", created))["statusCode"] == 200


def test_rotate_credentials_returns_new_username_and_password_once() -> None:
    created = create()

    response = invoke(handler(), at("rotate_credentials", created))

    assert response["statusCode"] == 200
    rotated = body(response)
    assert rotated["password"]
    assert rotated["password"] != created["password"]
    assert rotated["username"] != created["username"]
    assert rotated["path"] == created["path"]
    assert body(invoke(handler(), at("show", created)))["username"] == rotated["username"]


def test_a_request_without_an_authorizer_context_answers_401() -> None:
    event = load_event("inbound_webhooks_api/create.json")
    del event["requestContext"]["authorizer"]

    response = invoke(handler(), event)

    assert response["statusCode"] == 401


def test_the_openapi_document_describes_every_route() -> None:
    response = invoke(handler(), load_event("inbound_webhooks_api/swagger.json"))

    assert response["statusCode"] == 200
    spec = body(response)
    paths = spec["paths"]
    base = "/api/services/zis/inbound_webhooks/generic/{integration}"
    assert set(paths[base]) == {"get", "post"}
    assert set(paths[base + "/{uuid}"]) == {"get", "delete"}
    assert "post" in paths[base + "/{uuid}/credentials"]
