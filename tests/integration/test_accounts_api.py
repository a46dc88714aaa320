"""The operator API and the authorizer together, on moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import OPERATOR_TOKEN
from tests.integration.conftest import body, invoke, load_event, with_path

pytestmark = pytest.mark.usefixtures("aws_env")


def accounts(event: dict[str, Any]) -> dict[str, Any]:
    from accounts_api.handler import lambda_handler

    return invoke(lambda_handler, event)


def authorize(token: str | None, event_name: str = "authorizer/api_token.json") -> dict[str, Any]:
    from authorizer.handler import lambda_handler

    event = load_event(event_name)
    if token is None:
        event["headers"].pop("Authorization")
    else:
        event["headers"]["Authorization"] = f"Bearer {token}"
    return invoke(lambda_handler, event)


def create_account(name: str = "acme") -> dict[str, Any]:
    response = accounts(load_event("accounts_api/create_account.json") | {"body": json.dumps({"name": name})})
    assert response["statusCode"] == 201, response
    return body(response)  # type: ignore[no-any-return]


def test_creating_accounts_allocates_increasing_integer_ids_and_a_token() -> None:
    first, second = create_account("acme"), create_account("globex")

    assert first["account"]["id"] == 1
    assert second["account"]["id"] == 2
    assert first["account"]["name"] == "acme"
    assert first["token"].startswith("hy_")
    assert first["token"] != second["token"]


def test_the_new_accounts_token_is_accepted_by_the_authorizer_for_its_account() -> None:
    created = create_account()

    result = authorize(created["token"])

    assert result["context"]["account_id"] == str(created["account"]["id"])
    resources = result["policyDocument"]["Statement"][0]["Resource"]
    assert any(r.endswith("/*/api/services/*") for r in resources)
    assert not any("/api/admin" in r for r in resources)


def test_an_unknown_or_missing_token_is_unauthorized() -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize("hy_nope")
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(None)


def test_the_operator_token_may_use_only_the_admin_routes() -> None:
    result = authorize(OPERATOR_TOKEN, "authorizer/operator_token.json")

    assert result["context"]["role"] == "operator"
    assert all("/api/admin/" in r for r in result["policyDocument"]["Statement"][0]["Resource"])


def test_a_revoked_token_is_refused_by_the_authorizer() -> None:
    create_account()
    made = accounts(load_event("accounts_api/create_token.json"))
    token_id, value = body(made)["api_token"]["id"], body(made)["token"]
    assert authorize(value)["context"]["token_id"] == token_id

    revoked = accounts(with_path(load_event("accounts_api/revoke_token.json"), account_id="1", token_id=token_id))

    assert revoked["statusCode"] == 204
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(value)


def test_tokens_are_listed_without_their_values() -> None:
    created = create_account()

    response = accounts(load_event("accounts_api/list_tokens.json"))

    assert response["statusCode"] == 200
    [token] = body(response)["api_tokens"]
    assert token["hint"] == created["token"][-4:]
    assert created["token"] not in response["body"]


def test_listing_and_showing_accounts() -> None:
    for name in ("a", "b", "c"):
        create_account(name)

    listed = body(accounts(load_event("accounts_api/list_accounts.json")))
    shown = accounts(load_event("accounts_api/show_account.json"))

    assert [a["name"] for a in listed["accounts"]] == ["a", "b", "c"]
    assert body(shown)["account"]["name"] == "a"


def test_an_unknown_account_answers_404_for_show_and_tokens() -> None:
    assert accounts(load_event("accounts_api/show_account.json"))["statusCode"] == 404
    assert accounts(load_event("accounts_api/create_token.json"))["statusCode"] == 404
    assert accounts(load_event("accounts_api/list_tokens.json"))["statusCode"] == 404


def test_revoking_an_unknown_token_answers_404() -> None:
    create_account()

    assert accounts(load_event("accounts_api/revoke_token.json"))["statusCode"] == 404


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "x" * 101}, {"name": "a", "plan": "gold"}])
def test_creating_an_account_with_a_bad_name_answers_400(payload: dict[str, Any]) -> None:
    response = accounts(load_event("accounts_api/create_account.json") | {"body": json.dumps(payload)})

    assert response["statusCode"] == 400
    assert body(response)["errors"][0]["code"] == "InvalidInput"


def test_an_account_token_cannot_use_the_operator_api_even_if_routed_there() -> None:
    event = load_event("accounts_api/create_account.json")
    event["requestContext"]["authorizer"] = {"role": "account", "account_id": "1"}

    assert accounts(event)["statusCode"] == 401


def test_health_answers_ok() -> None:
    response = accounts(load_event("accounts_api/health.json"))

    assert response["statusCode"] == 200
    assert body(response) == {"status": "ok"}
