"""authorizer.logic: bearer token -> IAM policy naming every route the token may use."""

from __future__ import annotations

import pytest

from authorizer.logic import ApiArn, Unauthorized, authorize, bearer_token
from hookyard.dal.accounts import TokenOwner
from hookyard.secrets import sha256_hex
from hookyard_dev.apigw import Gateway
from tests.conftest import load_event

OPERATOR_TOKEN = "op_sample_token_for_events_only"  # what events/authorizer/operator_token.json sends
API_TOKEN = "hy_sample_token_for_events_only"  # what events/authorizer/api_token.json sends
OPERATOR_HASH = sha256_hex(OPERATOR_TOKEN)
API_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod"
OWNER = TokenOwner(account_id=42, token_id="01FDXQXBGQRZ3XN28WKX559PR2")


def find_owner(token: str) -> TokenOwner | None:
    return OWNER if token == API_TOKEN else None


def no_lookup(token: str) -> TokenOwner | None:
    raise AssertionError("the token store must not be asked")


def _resources(result: dict[str, object]) -> list[str]:
    (statement,) = result["policyDocument"]["Statement"]  # type: ignore[index]
    return list(statement["Resource"])


# ------------------------------------------------------------------ bearer_token


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer abc"},
        {"authorization": "bearer abc"},
        {"AUTHORIZATION": "BEARER abc"},
        {"Authorization": "  Bearer   abc  "},
    ],
)
def test_bearer_token_reads_the_header_and_scheme_case_insensitively(headers: dict[str, str]) -> None:
    # When / Then
    assert bearer_token(headers) == "abc"


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"Accept": "application/json"},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": "Basic YTpi"},
        {"Authorization": "abc"},
    ],
)
def test_bearer_token_without_a_bearer_token_is_none(headers: dict[str, str] | None) -> None:
    # When / Then
    assert bearer_token(headers) is None


# ------------------------------------------------------------------ method ARN


def test_api_arn_keeps_the_api_and_stage_of_the_method_arn() -> None:
    # When
    arn = ApiArn.from_method_arn(f"{API_PREFIX}/GET/api/services/zis/inbound_webhooks/generic/my_integration")

    # Then
    assert arn.prefix == API_PREFIX


def test_api_arn_with_a_colon_in_a_middle_path_segment_keeps_the_api_and_stage() -> None:
    # Given a path segment with a colon (a URL may carry one; API Gateway passes it on)
    method_arn = f"{API_PREFIX}/GET/api/services/zis/inbound_webhooks/generic/team:alpha/d339ba7f"

    # When
    arn = ApiArn.from_method_arn(method_arn)

    # Then
    assert arn.prefix == API_PREFIX


# ------------------------------------------------------------------ operator token


def test_authorize_operator_token_allows_only_the_admin_routes() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, no_lookup)

    # Then
    assert _resources(result) == [f"{API_PREFIX}/*/api/admin/*"]


def test_authorize_operator_token_policy_is_an_invoke_allow() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, no_lookup)

    # Then
    assert result["principalId"] == "operator"
    assert result["policyDocument"]["Version"] == "2012-10-17"
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"


def test_authorize_operator_token_has_the_operator_role_in_its_context() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, no_lookup)

    # Then
    assert result["context"] == {"role": "operator"}


# ------------------------------------------------------------------ API token


def test_authorize_api_token_allows_the_services_and_v2_routes() -> None:
    # Given
    event = load_event("authorizer/api_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert _resources(result) == [f"{API_PREFIX}/*/api/services/*", f"{API_PREFIX}/*/api/v2/*"]


def test_authorize_api_token_does_not_allow_the_admin_routes() -> None:
    # Given
    event = load_event("authorizer/api_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert not any("/api/admin" in resource for resource in _resources(result))
    assert not Gateway.allows(result["policyDocument"], f"{API_PREFIX}/POST/api/admin/accounts")


def test_authorize_api_token_policy_covers_routes_other_than_the_one_asked() -> None:
    # Given a policy API Gateway caches for the token and applies to later routes
    event = load_event("authorizer/api_token.json")
    result = authorize(event, OPERATOR_HASH, find_owner)

    # When
    allowed = Gateway.allows(result["policyDocument"], f"{API_PREFIX}/DELETE/api/v2/webhooks/01ABC")

    # Then
    assert allowed


def test_authorize_api_token_hands_over_the_account_id_as_a_string() -> None:
    # Given
    event = load_event("authorizer/api_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert result["principalId"] == "account:42"
    assert result["context"] == {"role": "account", "account_id": "42", "token_id": OWNER.token_id}
    assert isinstance(result["context"]["account_id"], str)


# ------------------------------------------------------------------ refusals


def test_authorize_unknown_token_is_unauthorized() -> None:
    # Given
    event = load_event("authorizer/unknown_token.json")

    # When / Then
    with pytest.raises(Unauthorized) as refusal:
        authorize(event, OPERATOR_HASH, find_owner)
    assert str(refusal.value) == "Unauthorized"


def test_authorize_without_a_token_is_unauthorized_without_a_lookup() -> None:
    # Given
    event = load_event("authorizer/api_token.json")
    del event["headers"]["Authorization"]

    # When / Then
    with pytest.raises(Unauthorized) as refusal:
        authorize(event, OPERATOR_HASH, no_lookup)
    assert str(refusal.value) == "Unauthorized"


def test_authorize_with_a_non_bearer_scheme_is_unauthorized() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")
    event["headers"]["Authorization"] = f"Basic {OPERATOR_TOKEN}"

    # When / Then
    with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
        authorize(event, OPERATOR_HASH, no_lookup)


def test_authorize_with_a_colon_in_the_last_path_segment_still_answers_a_policy() -> None:
    # Given a request whose last path segment carries a colon
    event = load_event("authorizer/api_token.json")
    event["methodArn"] = f"{API_PREFIX}/GET/api/services/zis/inbound_webhooks/generic/team:alpha"

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert _resources(result) == [f"{API_PREFIX}/*/api/services/*", f"{API_PREFIX}/*/api/v2/*"]
