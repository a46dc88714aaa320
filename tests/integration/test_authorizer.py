"""The authorizer's real handler on moto: a token works the same as Bearer and as
Zendesk-style Basic (`curl -u {email}/token:{api_token}`), and every failure is the
same 401."""

from __future__ import annotations

import base64
import importlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import OPERATOR_TOKEN
from tests.integration.conftest import body, invoke, load_event, with_path

pytestmark = pytest.mark.usefixtures("aws_env")


def authorize(event_name: str, authorization: str | None) -> dict[str, Any]:
    from authorizer.handler import lambda_handler

    event = load_event(event_name)
    event["headers"].pop("Authorization")
    event["multiValueHeaders"].pop("Authorization")
    if authorization is not None:
        event["headers"]["Authorization"] = authorization
        event["multiValueHeaders"]["Authorization"] = [authorization]
    return invoke(lambda_handler, event, "AuthorizerFunction")


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def account() -> dict[str, Any]:
    """Given an account made through the operator API, with its first API token."""
    from accounts_api.handler import lambda_handler

    created = invoke(lambda_handler, load_event("accounts_api/create_account.json") | {"body": '{"name": "acme"}'})
    assert created["statusCode"] == 201, created["body"]
    return body(created)  # type: ignore[no-any-return]


def test_an_api_token_in_zendesk_basic_form_gets_the_same_policy_as_bearer(account: dict[str, Any]) -> None:
    # When
    as_bearer = authorize("authorizer/api_token.json", f"Bearer {account['token']}")
    as_basic = authorize("authorizer/api_token_basic.json", basic("agent@example.com/token", account["token"]))

    # Then
    assert as_basic == as_bearer
    assert as_basic["context"]["account_id"] == str(account["account"]["id"])


def test_the_operator_token_in_basic_form_may_use_the_admin_routes() -> None:
    # When
    result = authorize("authorizer/operator_token_basic.json", basic("operator@example.com/token", OPERATOR_TOKEN))

    # Then
    assert result["context"] == {"role": "operator"}
    assert all("/api/admin/" in r for r in result["policyDocument"]["Statement"][0]["Resource"])


def test_a_revoked_token_is_refused_in_basic_form_too(account: dict[str, Any]) -> None:
    # Given the account's token, revoked
    from accounts_api.handler import lambda_handler

    token_id = authorize("authorizer/api_token.json", f"Bearer {account['token']}")["context"]["token_id"]
    revoke = with_path(load_event("accounts_api/revoke_token.json"), account_id="1", token_id=token_id)
    assert invoke(lambda_handler, revoke)["statusCode"] == 204

    # When / Then
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize("authorizer/api_token_basic.json", basic("agent@example.com/token", account["token"]))


@pytest.mark.parametrize(
    "authorization",
    [
        lambda token: None,
        lambda token: "Bearer hy_not_a_real_token",
        lambda token: basic("agent@example.com/token", "hy_not_a_real_token"),
        lambda token: basic("agent@example.com", token),  # a password login, not a token
        lambda token: basic("agent@example.com/token", ""),
        lambda token: "Basic !!not-base64!!",
        lambda token: f"Token {token}",
    ],
)
def test_every_credential_failure_is_the_same_401(
    account: dict[str, Any], authorization: Callable[[str], str | None]
) -> None:
    # When / Then (API Gateway answers exactly this message with its one 401 response)
    with pytest.raises(Exception, match=r"^Unauthorized$") as refusal:
        authorize("authorizer/api_token_basic.json", authorization(account["token"]))
    assert type(refusal.value).__name__ == "Unauthorized"


@pytest.mark.parametrize(
    "event_name",
    [
        "accounts_api/swagger.json",
        "inbound_webhooks_api/swagger.json",
        "registry_api/swagger.json",
        "webhooks_api/swagger.json",
    ],
)
def test_every_api_document_offers_bearer_and_zendesk_basic_auth(event_name: str) -> None:
    # Given
    function = event_name.split("/")[0]
    handler = importlib.import_module(f"{function}.handler").lambda_handler

    # When
    spec = body(invoke(handler, load_event(event_name)))

    # Then Swagger UI's Authorize button takes either
    schemes = spec["components"]["securitySchemes"]
    assert (schemes["bearerAuth"]["scheme"], schemes["basicAuth"]["scheme"]) == ("bearer", "basic")
    assert spec["security"] == [{"bearerAuth": []}, {"basicAuth": []}]
